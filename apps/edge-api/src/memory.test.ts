import { env } from 'cloudflare:workers'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, inject, it } from 'vitest'
import { classifyOk, fromBase64, requestFor } from '../test/client.ts'
import { encodePng } from '../test/png.ts'
import { loadTinyClassifier } from '../test/tiny-model.ts'
import { createApp } from './app.ts'
import { initBackend } from './tfjs.ts'

describe('memory: no tensor outlives its request', () => {
  it('holds the tensor count flat over 1,000 classify requests (tiny model, full request path)', async () => {
    // The whole app — middleware, body reading, decoding, the one predictor on the wasm backend — with a
    // tiny real graph model, so a thousand requests take seconds rather than the bundled model's ~20 ms each.
    await initBackend()
    const classifier = loadTinyClassifier()
    const app = createApp({ getClassifier: () => classifier, backend: initBackend })
    const photo = await encodePng({ width: 4, height: 4, data: new Uint8Array(48).fill(200) })
    const post = () =>
      app.fetch(
        // no-store: every request decodes and runs the model, none is answered from the cache
        requestFor('/v1/classify', { method: 'POST', body: photo, headers: { 'Cache-Control': 'no-store' } }),
        env,
      )

    const first = await post()
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ label: 'light', model: { id: 'tiny-dark-light' } })
    const before = tf.memory().numTensors
    expect(before).toBeGreaterThan(0) // the model's weights: zero would mean another tfjs instance

    let ok = 0
    for (let i = 0; i < 1000; i++) {
      const res = await post()
      if (res.status === 200) ok++
      await res.arrayBuffer()
    }
    expect(ok).toBe(1000)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('holds the tensor count flat across requests to the bundled model', async () => {
    const photo = fromBase64(inject('validationPhotos')[0]!.base64)
    await classifyOk(photo) // loads the model: its weights are the tensors that stay
    const before = tf.memory().numTensors
    expect(before).toBeGreaterThan(0)
    const distinct = (i: number) => Uint8Array.from([...photo, i]) // a byte past the end: not a cache hit
    for (let i = 0; i < 20; i++) await classifyOk(distinct(i))
    expect(tf.memory().numTensors).toBe(before)
  })
})
