import { describe, expect, inject, it } from 'vitest'
import { callWith, form, freshCopy, fromBase64, serverTiming } from '../test/client.ts'
import type { ClassifyResponse } from './app.ts'

const photos = inject('validationPhotos')
const photo = fromBase64(photos[0]!.base64)

/** POST through the app and wait for its cache write (waitUntil), as a client's next request would find it. */
const post = (body: BodyInit, query = '', headers?: HeadersInit) =>
  callWith(`/v1/classify${query}`, { method: 'POST', body, ...(headers ? { headers } : {}) })

describe('identical uploads are answered from the Cache API', () => {
  it('answers the second identical upload from the cache, with the same classification', async () => {
    const bytes = freshCopy(photo) // bytes no earlier run has sent
    const first = await post(bytes)
    const second = await post(bytes)
    expect(first.headers.get('X-Whisker-Cache')).toBe('miss')
    expect(second.headers.get('X-Whisker-Cache')).toBe('hit')
    expect(serverTiming(second).get('cache')?.desc).toBe('hit')

    const [a, b] = (await Promise.all([first.json(), second.json()])) as ClassifyResponse[]
    expect(a!.cached).toBe(false)
    expect(b).toEqual({ ...a, cached: true, timing: { decodeMs: 0, classifyMs: 0 } })
  })

  it('serves any topK from one cached entry', async () => {
    const bytes = freshCopy(photo)
    const all = (await (await post(bytes)).json()) as ClassifyResponse
    const res = await post(bytes, '?topK=1')
    expect(res.headers.get('X-Whisker-Cache')).toBe('hit')
    expect(((await res.json()) as ClassifyResponse).predictions).toEqual(all.predictions.slice(0, 1))
  })

  it('keys by the bytes: one byte different is a miss', async () => {
    const bytes = freshCopy(photo)
    await post(bytes)
    const changed = bytes.slice()
    changed[changed.length - 1]! ^= 1
    expect((await post(changed)).headers.get('X-Whisker-Cache')).toBe('miss')
  })

  it('recomputes on Cache-Control: no-cache, and skips the cache entirely on no-store', async () => {
    const bytes = freshCopy(photo)
    await post(bytes)
    const refreshed = await post(bytes, '', { 'Cache-Control': 'no-cache' })
    expect(refreshed.headers.get('X-Whisker-Cache')).toBe('miss')
    expect(((await refreshed.json()) as ClassifyResponse).cached).toBe(false)

    const unseen = freshCopy(photo)
    const bypass = await post(unseen, '', { 'Cache-Control': 'no-store' })
    expect(bypass.headers.get('X-Whisker-Cache')).toBe('bypass')
    expect((await post(unseen)).headers.get('X-Whisker-Cache')).toBe('miss') // no-store wrote nothing
  })

  it('caches each image of a batch: a batch with one known image is a partial hit', async () => {
    const known = freshCopy(photo)
    await post(known)
    const res = await post(form(['image', freshCopy(photo)], ['image', known]))
    expect(res.headers.get('X-Whisker-Cache')).toBe('partial')
    const answers = (await res.json()) as ClassifyResponse[]
    expect(answers.map((a) => a.cached)).toEqual([false, true])
  })

  it('never caches a refusal: a bad image is refused again, not answered', async () => {
    const bad = new TextEncoder().encode('not an image at all')
    expect((await post(bad)).status).toBe(415)
    expect((await post(bad)).status).toBe(415)
  })
})
