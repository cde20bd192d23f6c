import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, inject, it } from 'vitest'
import { call, classifyOk, fromBase64 } from '../test/client.ts'

describe('GET /v1/model', () => {
  it('returns the bundled model card', async () => {
    const res = await call('/v1/model')
    expect(res.status).toBe(200)
    const card = (await res.json()) as { version: string; labels: string[]; metrics: { valAccuracy: number } }
    expect(card.version).toMatch(/^[0-9a-f]{16}$/)
    expect(card.labels).toEqual(['cat', 'dog'])
    expect(card.metrics.valAccuracy).toBe(inject('trainerValAccuracy'))
  })
})

describe('GET /healthz', () => {
  it('reports the model version and that tfjs runs on the wasm backend', async () => {
    const res = await call('/healthz')
    const card = (await (await call('/v1/model')).json()) as { version: string }
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, model: card.version, backend: 'wasm' })
  })
})

describe('memory', () => {
  it('holds the same number of tensors after many requests (nothing leaks per request)', async () => {
    const photo = fromBase64(inject('validationPhotos')[0]!.base64)
    await classifyOk(photo) // loads the model: its weights are the tensors that stay
    const before = tf.memory().numTensors
    // The test shares the Worker's isolate and tfjs instance; zero would mean we were looking at another one.
    expect(before).toBeGreaterThan(0)
    for (let i = 0; i < 10; i++) await classifyOk(photo)
    expect(tf.memory().numTensors).toBe(before)
  })
})
