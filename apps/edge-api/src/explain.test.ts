import { ClassificationSchema, HEATMAP_PNG_SIZE } from '@whisker/api-contract'
import { readImageHeader } from '@whisker/preprocess'
import { describe, expect, inject, it } from 'vitest'
import * as z from 'zod/mini'
import {
  callWith,
  classify,
  classifyOk,
  form,
  freshCopy,
  fromBase64,
  problemOf,
  serverTiming,
} from '../test/client.ts'
import type { ClassifyResponse } from './app.ts'

const photos = inject('validationPhotos')
const bytesOf = (i: number) => fromBase64(photos[i]!.base64)

type Explained = NonNullable<ClassifyResponse['explain']>

/** Width and height from a PNG's IHDR chunk. */
function pngSize(dataUrl: string): { width: number; height: number; colourType: number } {
  const bytes = fromBase64(dataUrl.slice('data:image/png;base64,'.length))
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  return { width: view.getUint32(16), height: view.getUint32(20), colourType: bytes[25]! }
}

describe('POST /v1/classify?explain=1', () => {
  it('adds where the model looked: a 7×7 grid in [0, 1], a PNG to lay over the photo, the region it covers', async () => {
    const photo = freshCopy(bytesOf(0))
    const body = await classifyOk(photo, '?explain=1')
    const explain = body.explain as Explained
    expect(explain.method).toBe('grad-cam') // the card's method: the test model's head has a hidden layer
    expect(explain.label).toBe(body.label)
    expect(explain.grid).toHaveLength(7)
    for (const row of explain.grid) expect(row).toHaveLength(7)
    const values = explain.grid.flat()
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBe(1)
    // RGBA (colour type 6): cold areas are nearly transparent.
    expect(pngSize(explain.png)).toEqual({ width: HEATMAP_PNG_SIZE, height: HEATMAP_PNG_SIZE, colourType: 6 })
    expect(explain.png.length).toBeLessThan(16_000)
    // The centred square of the photo, as the card's center-crop policy feeds the model.
    const { width, height } = readImageHeader(photo)
    const side = Math.min(width, height)
    expect(explain.region).toEqual({
      x: Math.floor((width - side) / 2),
      y: Math.floor((height - side) / 2),
      width: side,
      height: side,
    })
    expect(z.strictObject(ClassificationSchema.shape).parse(body)).toEqual(body)
  })

  it('draws the same grid as the trainer does in Node for the same pixels (one implementation)', async () => {
    const png = inject('validationPng') // lossless: the Worker decodes exactly the pixels Node had
    const expected = inject('validationPngHeatmap')
    const { explain } = await classifyOk(freshCopy(fromBase64(png.base64)), '?explain=1')
    expect(explain?.label).toBe(expected.label)
    expect(explain?.method).toBe(expected.method)
    explain!.grid.flat().forEach((v, i) => {
      expect(v).toBeCloseTo(expected.grid.flat()[i]!, 2)
    })
  })

  it('answers the same classification as without it, from the same forward pass', async () => {
    const photo = freshCopy(bytesOf(1))
    const plain = await classifyOk(photo, '?topK=1')
    const explained = await classifyOk(photo, '?topK=1&explain=true')
    expect(explained.label).toBe(plain.label)
    expect(explained.confidence).toBeCloseTo(plain.confidence, 6)
    expect(explained.predictions).toHaveLength(1)
    expect(plain.explain).toBeUndefined()
    expect(plain.timing).not.toHaveProperty('explainMs')
  })

  it('times the heatmap in the answer and in Server-Timing (`explain`), and only when asked', async () => {
    const res = await classify(freshCopy(bytesOf(2)), '?explain=1')
    const body = (await res.json()) as ClassifyResponse
    expect(body.timing.explainMs).toBeGreaterThan(0)
    const timing = serverTiming(res)
    expect(timing.get('explain')).toMatchObject({
      dur: expect.closeTo(body.timing.explainMs!, 0),
      desc: 'heatmap + PNG',
    })
    expect(timing.get('total')!.dur).toBeGreaterThanOrEqual(timing.get('explain')!.dur!)
    const plain = await classify(freshCopy(bytesOf(2)), '?explain=0')
    expect(serverTiming(plain).has('explain')).toBe(false)
    expect(((await plain.json()) as ClassifyResponse).explain).toBeUndefined()
  })

  it('explains each image of a multipart batch', async () => {
    const [cat, dog] = ['cat', 'dog'].map((label) => photos.find((p) => p.label === label)!)
    const data = form(
      ['image', freshCopy(fromBase64(cat!.base64))],
      ['image', freshCopy(fromBase64(dog!.base64))],
    )
    const res = await classify(data, '?explain=1')
    expect(res.status).toBe(200)
    const answers = (await res.json()) as ClassifyResponse[]
    expect(answers).toHaveLength(2)
    for (const answer of answers) {
      expect(answer.explain?.label).toBe(answer.label)
      expect(answer.explain?.grid).toHaveLength(7)
    }
    expect(serverTiming(res).get('explain')!.dur).toBeGreaterThan(0)
  })

  it('caches explained answers under their own key: a plain answer never stands in for one', async () => {
    const bytes = freshCopy(bytesOf(3))
    const post = (query: string) => callWith(`/v1/classify${query}`, { method: 'POST', body: bytes })
    expect((await post('')).headers.get('X-Whisker-Cache')).toBe('miss')
    const first = await post('?explain=1')
    expect(first.headers.get('X-Whisker-Cache')).toBe('miss') // the plain entry has no heatmap
    const second = await post('?explain=1')
    expect(second.headers.get('X-Whisker-Cache')).toBe('hit')
    const [a, b] = (await Promise.all([first.json(), second.json()])) as ClassifyResponse[]
    expect(b).toEqual({ ...a, cached: true, timing: { decodeMs: 0, classifyMs: 0, explainMs: 0 } })
    const plain = await post('')
    expect(plain.headers.get('X-Whisker-Cache')).toBe('hit')
    expect(((await plain.json()) as ClassifyResponse).explain).toBeUndefined()
  })

  it.each(['yes', '2', ''])('refuses explain=%s with 400 INVALID_QUERY', async (value) => {
    const res = await classify(bytesOf(0), `?explain=${value}`)
    expect(res.status).toBe(400)
    const problem = await problemOf(res)
    expect(problem.code).toBe('INVALID_QUERY')
    expect(problem.detail).toBe('`explain` must be 1 or 0 (or true or false).')
  })
})
