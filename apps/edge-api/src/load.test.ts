import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, inject, it } from 'vitest'
import { classify, fromBase64 } from '../test/client.ts'
import { jpegCodecBytes } from './decoder.ts'
import { wasmHeapBytes } from './tfjs.ts'

/** Clients sending at once, as the load target (the bench sends 5,000 requests; see docs/benchmarks.md). */
const CONCURRENCY = 8
/** Requests after warm-up: enough for a leak of one tensor or one buffer per request to show, in seconds of CI. */
const REQUESTS = 320
const WARM_UP = 5 * CONCURRENCY

const photos = inject('validationPhotos').map((p) => fromBase64(p.base64))

/** `count` classify requests from CONCURRENCY clients over the photos; the statuses, in completion order. */
async function load(count: number): Promise<number[]> {
  const statuses: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const photo = photos[next++ % photos.length]!
        // no-store: every request decodes and runs the model; nothing is read from or written to the cache.
        const res = await classify(photo, '', { 'Cache-Control': 'no-store' })
        await res.arrayBuffer()
        statuses.push(res.status)
      }
    }),
  )
  return statuses
}

describe(`load: ${CONCURRENCY} concurrent clients, memory flat after warm-up`, () => {
  it(`answers ${REQUESTS} concurrent requests with 200 while the isolate's wasm heaps and tensors stay as they were`, async () => {
    expect(photos.length).toBeGreaterThan(CONCURRENCY)
    expect(new Set(await load(WARM_UP))).toEqual(new Set([200]))
    // What the isolate holds once every request path ran at this concurrency: the tfjs wasm heap (the model,
    // the activations of requests in flight), libjpeg-turbo's memory and the live tensors (the weights).
    const before = { heap: wasmHeapBytes(), jpeg: jpegCodecBytes(), tensors: tf.memory().numTensors }
    expect(before.heap).toBeGreaterThan(0)
    expect(before.jpeg).toBeGreaterThan(0)

    const statuses = await load(REQUESTS)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(statuses).toHaveLength(REQUESTS)
    // wasm memories never shrink, so any growth after warm-up is memory a request kept.
    expect({ heap: wasmHeapBytes(), jpeg: jpegCodecBytes(), tensors: tf.memory().numTensors }).toEqual(before)
  })
})
