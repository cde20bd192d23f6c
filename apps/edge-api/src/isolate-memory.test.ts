import {
  DEFAULT_MAX_BODY_BYTES,
  MAX_IMAGES_PER_REQUEST,
  WORKER_MAX_UNSCALED_PIXELS,
} from '@whisker/api-contract'
import { describe, expect, inject, it } from 'vitest'
import { classify, classifyOk, form, freshCopy, fromBase64 } from '../test/client.ts'
import { jpegCodecBytes } from './decoder.ts'
import { wasmHeapBytes } from './tfjs.ts'

/** Cloudflare's per-isolate memory limit, taken as 128 × 10⁶ bytes (the smaller reading of "128 MB"). */
const ISOLATE_LIMIT = 128e6
/**
 * Peak bytes a pixel of a PNG or WebP decode holds outside the codecs' wasm memories, which this test cannot
 * read (@jsquash keeps them private): the RGBA copy jsquash hands back (4), the RGB image (3) and its oriented
 * copy (3), plus the codec's own RGBA in its wasm memory, which stays allocated afterwards (4 each, PNG and
 * WebP both counted). Measured in Node (packages/preprocess): a 16 MP PNG peaks at +193 MB of RSS, 12 a pixel.
 */
const UNSCALED_TRANSIENT_BYTES_PER_PIXEL = 10
const UNSCALED_CODEC_BYTES_PER_PIXEL = 4

const largest = Object.entries(inject('largestPhotos')).map(([name, b64]) => [name, fromBase64(b64)] as const)

describe('isolate memory: the largest accepted requests fit in 128 MB with the model loaded', () => {
  it('classifies each largest accepted image and batch, then sums what the isolate holds', async () => {
    for (const [name, bytes] of largest) {
      const answer = await classifyOk(freshCopy(bytes))
      expect(answer.label, name).toBeTypeOf('string')
    }
    // The largest batch: as many copies of each image as the body limit takes, up to 16.
    let batchBytes = 0
    for (const [name, bytes] of largest) {
      const count = Math.min(
        MAX_IMAGES_PER_REQUEST,
        Math.floor((DEFAULT_MAX_BODY_BYTES - 64 * 1024) / bytes.length),
      )
      const files = Array.from({ length: count }, () => ['image', freshCopy(bytes)] as [string, Uint8Array])
      const res = await classify(form(...files))
      expect(
        res.status,
        `batch of ${count} × ${name}: ${res.status === 200 ? '' : await res.clone().text()}`,
      ).toBe(200)
      await res.arrayBuffer()
      batchBytes = Math.max(batchBytes, count * bytes.length)
    }

    // Measured: the tfjs wasm heap (model weights, activations) and the JPEG codec's memory, after all of it.
    const tfjsHeap = wasmHeapBytes()
    expect(tfjsHeap).toBeGreaterThan(0) // the wasm backend, with the model loaded
    const jpegCodec = jpegCodecBytes()
    // Computed from the limits: PNG and WebP codecs at the unscaled budget, and a request's body held twice
    // (the body, then the image copied into a codec).
    const unscaledCodecs = 2 * UNSCALED_CODEC_BYTES_PER_PIXEL * WORKER_MAX_UNSCALED_PIXELS
    const transient = UNSCALED_TRANSIENT_BYTES_PER_PIXEL * WORKER_MAX_UNSCALED_PIXELS
    const body = 2 * DEFAULT_MAX_BODY_BYTES
    const total = tfjsHeap + jpegCodec + unscaledCodecs + transient + body
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
    console.info(
      `isolate memory bound: ${mb(total)} = tfjs wasm heap ${mb(tfjsHeap)} (measured) + libjpeg-turbo ` +
        `${mb(jpegCodec)} (measured) + PNG and WebP codecs ${mb(unscaledCodecs)} + decode buffers ` +
        `${mb(transient)} + body ×2 ${mb(body)} (computed from the limits); largest batch sent ${mb(batchBytes)}`,
    )
    expect(total).toBeLessThanOrEqual(ISOLATE_LIMIT)
  })
})
