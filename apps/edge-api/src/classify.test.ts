import { ClassificationSchema } from '@whisker/api-contract'
import { describe, expect, inject, it } from 'vitest'
import * as z from 'zod/mini'
import { call, classify, classifyOk, freshCopy, fromBase64, serverTiming } from '../test/client.ts'

const photos = inject('validationPhotos')

describe('POST /v1/classify', () => {
  it('labels validation photos (never seen in training) correctly, at most one mistake in ten', async () => {
    // Five of each class, chosen by name, not by whether the model gets them right.
    const sample = ['cat', 'dog'].flatMap((label) => photos.filter((p) => p.label === label).slice(0, 5))
    expect(sample).toHaveLength(10)
    const answers = await Promise.all(sample.map((p) => classifyOk(fromBase64(p.base64))))
    const mistakes = sample.filter((p, i) => answers[i]!.label !== p.label).map((p) => p.name)
    expect(mistakes.length, `misclassified: ${mistakes.join(', ')}`).toBeLessThanOrEqual(1)
  })

  it('agrees with the trainer: the same validation accuracy, give or take one photo', async () => {
    // Same predictor, same preprocessing; only the JPEG decoder differs (sharp vs wasm mozjpeg), which may
    // tip a photo sitting right at 50/50. More than one differing photo means the runtimes disagree.
    let right = 0
    for (const p of photos) if ((await classifyOk(fromBase64(p.base64))).label === p.label) right++
    const trainerRight = Math.round(inject('trainerValAccuracy') * photos.length)
    expect(Math.abs(right - trainerRight)).toBeLessThanOrEqual(1)
  })

  it('answers with label, confidence, every class ranked, and the model id and version', async () => {
    const [photo] = photos
    const body = await classifyOk(fromBase64(photo!.base64))
    const model = (await (await call('/v1/model')).json()) as {
      name: string
      version: string
      labels: string[]
    }

    expect(body.model).toEqual({ id: model.name, version: model.version })
    expect(body.predictions.map((p) => p.label).sort()).toEqual([...model.labels].sort())
    expect(body.predictions[0]).toEqual({ label: body.label, score: body.confidence })
    const scores = body.predictions.map((p) => p.score)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
  })

  it('returns only the top k predictions with ?topK=', async () => {
    const body = await classifyOk(fromBase64(photos[0]!.base64), '?topK=1')
    expect(body.predictions).toHaveLength(1)
    expect(body.predictions[0]!.label).toBe(body.label)
  })

  it('classifies a PNG the same as the JPEG it was made from', async () => {
    const png = inject('validationPng')
    const jpeg = photos.find((p) => p.name.replace(/\.\w+$/, '') === png.name.replace(/\.\w+$/, ''))!
    const fromPng = await classifyOk(fromBase64(png.base64))
    const fromJpeg = await classifyOk(fromBase64(jpeg.base64))
    expect(fromPng.label).toBe(fromJpeg.label)
    // Not identical: the PNG holds sharp's decode of the JPEG, the Worker decodes the JPEG with mozjpeg.
    expect(fromPng.confidence).toBeCloseTo(fromJpeg.confidence, 1)
  })

  it('sniffs the type from the bytes, not from Content-Type', async () => {
    const res = await call('/v1/classify', {
      method: 'POST',
      body: fromBase64(photos[0]!.base64),
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(res.status).toBe(200)
  })

  it('sends a fresh X-Request-Id with every response, ignoring one sent by the client', async () => {
    const a = await call('/healthz', { headers: { 'X-Request-Id': 'chosen-by-client' } })
    const b = await call('/healthz')
    expect(a.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.headers.get('X-Request-Id')).not.toBe(b.headers.get('X-Request-Id'))
  })

  it('matches the response schema published in /openapi.json, and nothing more', async () => {
    const body = await classifyOk(freshCopy(fromBase64(photos[0]!.base64)))
    expect(z.strictObject(ClassificationSchema.shape).parse(body)).toEqual(body)
  })

  it('times decoding and classification (resize + inference) per image and in Server-Timing', async () => {
    const res = await classify(freshCopy(fromBase64(photos[1]!.base64)))
    const body = (await res.json()) as { cached: boolean; timing: { decodeMs: number; classifyMs: number } }
    expect(body.cached).toBe(false)
    // performance.now() advances inside local workerd (deployed, it only moves across I/O)
    expect(body.timing.decodeMs).toBeGreaterThan(0)
    expect(body.timing.classifyMs).toBeGreaterThan(0)

    const timing = serverTiming(res)
    expect([...timing.keys()]).toEqual(
      expect.arrayContaining(['read', 'hash', 'cache', 'decode', 'classify', 'total']),
    )
    expect(timing.get('decode')!.dur).toBeCloseTo(body.timing.decodeMs, 0)
    expect(timing.get('classify')).toMatchObject({
      dur: expect.closeTo(body.timing.classifyMs, 0),
      desc: 'preprocess + inference',
    })
    expect(timing.get('total')!.dur).toBeGreaterThanOrEqual(timing.get('classify')!.dur!)
  })

  it('takes the raw body whatever its Content-Type says: image/*, octet-stream, curl’s form default, none', async () => {
    const photo = fromBase64(photos[2]!.base64)
    const types = ['image/jpeg', 'image/png', 'application/octet-stream', 'application/x-www-form-urlencoded']
    for (const type of types) {
      const res = await classify(photo, '', { 'Content-Type': type })
      expect(res.status, type).toBe(200)
    }
    const untyped = await call('/v1/classify', { method: 'POST', body: new Blob([photo]) }) // no Content-Type
    expect(untyped.status).toBe(200)
  })
})
