import { MAX_IMAGES_PER_REQUEST } from '@whisker/api-contract'
import { describe, expect, inject, it } from 'vitest'
import { call, classifyOk, form, freshCopy, fromBase64, problemOf } from '../test/client.ts'
import { pngHeaderOnly } from '../test/png.ts'
import type { ClassifyResponse } from './app.ts'

const photos = inject('validationPhotos')
const cats = photos.filter((p) => p.label === 'cat').map((p) => fromBase64(p.base64))
const [cat, otherCat] = [cats[0]!, cats[1]!]
const dog = fromBase64(photos.find((p) => p.label === 'dog')!.base64)

const post = (body: BodyInit, query = '', headers?: HeadersInit) =>
  call(`/v1/classify${query}`, { method: 'POST', body, ...(headers ? { headers } : {}) })

describe('POST /v1/classify with multipart/form-data (a batch)', () => {
  it('answers an array, one classification per `image` field, in field order', async () => {
    const batch = [cat, dog, otherCat].map(freshCopy) // bytes not cached yet: each is decoded and classified
    const res = await post(form(...batch.map((photo): [string, Uint8Array] => ['image', photo])))
    expect(res.status).toBe(200)
    const answers = (await res.json()) as ClassifyResponse[]
    expect(answers).toHaveLength(3)
    expect(answers.map((a) => a.cached)).toEqual([false, false, false])
    // each the same as that photo sent on its own (two different cats: their scores tell them apart)
    const alone = await Promise.all(batch.map((photo) => classifyOk(photo)))
    expect(answers.map((a) => a.label)).toEqual(alone.map((a) => a.label))
    expect(answers.map((a) => a.confidence)).toEqual(alone.map((a) => a.confidence))
  })

  it('answers a single image as an array of one', async () => {
    const res = await post(form(['image', cat]), '?topK=1')
    const answers = (await res.json()) as ClassifyResponse[]
    expect(answers).toHaveLength(1)
    expect(answers[0]!.predictions).toHaveLength(1) // topK applies to every image
  })

  it(`takes up to ${MAX_IMAGES_PER_REQUEST} images, and refuses one more with 400 TOO_MANY_IMAGES`, async () => {
    const full = Array.from({ length: MAX_IMAGES_PER_REQUEST }, (): [string, Uint8Array] => ['image', cat])
    const ok = await post(form(...full))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toHaveLength(MAX_IMAGES_PER_REQUEST)

    const res = await post(form(...full, ['image', cat]))
    expect(res.status).toBe(400)
    expect(await problemOf(res)).toMatchObject({ code: 'TOO_MANY_IMAGES', status: 400 })
  })

  it('names the field in 400 UNEXPECTED_FIELD when a photo is sent under another name', async () => {
    for (const name of ['images', 'file', 'photo']) {
      const res = await post(form([name, cat]))
      expect(res.status, name).toBe(400)
      const problem = await problemOf(res)
      expect(problem.code).toBe('UNEXPECTED_FIELD')
      expect(problem.detail).toContain(`"${name}"`)
    }
  })

  it('refuses an extra non-image field alongside the photos (400 UNEXPECTED_FIELD)', async () => {
    const res = await post(form(['image', cat], ['topK', '1']))
    expect((await problemOf(res)).code).toBe('UNEXPECTED_FIELD')
  })

  it('refuses `image` sent as a text value instead of a file (400 UNEXPECTED_FIELD)', async () => {
    const res = await post(form(['image', 'cat.jpg']))
    expect(res.status).toBe(400)
    expect((await problemOf(res)).detail).toContain('must be a file')
  })

  it('refuses a multipart body with no parts at all: 400 MISSING_IMAGE', async () => {
    const boundary = 'whisker-boundary'
    const res = await post(`--${boundary}--\r\n`, '', {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
    })
    expect(res.status).toBe(400)
    expect((await problemOf(res)).code).toBe('MISSING_IMAGE')
  })

  it('refuses a body that is not multipart despite its Content-Type: 400 INVALID_MULTIPART', async () => {
    const bodies: [string, BodyInit][] = [
      ['multipart/form-data', cat], // no boundary
      ['multipart/form-data; boundary=abc', cat], // bytes without any boundary line
      [
        'multipart/form-data; boundary=abc',
        '--abc\r\nContent-Disposition: form-data; name="image"\r\n\r\nunterminated',
      ],
    ]
    for (const [type, body] of bodies) {
      const res = await post(body, '', { 'Content-Type': type })
      expect(res.status, type).toBe(400)
      expect((await problemOf(res)).code, type).toBe('INVALID_MULTIPART')
    }
  })

  it('fails the batch on a bad image with that image’s problem and its index', async () => {
    const cases: [Uint8Array, number, string][] = [
      [new Uint8Array(0), 400, 'EMPTY_IMAGE'],
      [new TextEncoder().encode('not a photo'), 415, 'UNSUPPORTED_TYPE'],
      [cat.slice(0, cat.length / 2), 400, 'CORRUPT_IMAGE'],
      [pngHeaderOnly(50_000, 50_000), 422, 'TOO_MANY_PIXELS'],
    ]
    for (const [bad, status, code] of cases) {
      const res = await post(form(['image', cat], ['image', bad], ['image', dog]))
      expect(res.status, code).toBe(status)
      const problem = await problemOf(res)
      expect(problem).toMatchObject({ code, index: 1 })
      expect(problem.detail).toMatch(/^Image 1 /)
    }
  })

  it('counts the whole multipart body against the byte limit: 413 TOO_MANY_BYTES', async () => {
    const big = new Uint8Array(6 * 1024 * 1024)
    big.set(cat)
    const res = await post(form(['image', big], ['image', big])) // 12 MiB in all, each under 10
    expect(res.status).toBe(413)
    expect((await problemOf(res)).code).toBe('TOO_MANY_BYTES')
  })
})
