import { DATA_DIR, diff, phonePhoto, samplePhotos } from '@whisker/fixtures'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { toModelInput } from '../resize.ts'
import { formatMatrix, toBytes } from '../test-support/images.ts'
import { wasmDecoder } from '../test-support/wasm.ts'
import type { ImageDecoder, ResizePolicy, RgbImage } from '../types.ts'
import { decodeImage } from './node.ts'

/**
 * The point of this package: the trainer (sharp) and the Worker (wasm) must hand the model the same
 * tensor. Same resampler, same orientation and alpha rules; only the codecs differ, so this measures
 * the codecs' disagreement as it reaches the model.
 */
const POLICY: ResizePolicy = { mode: 'center-crop', size: 224, filter: 'bilinear' }
const wasm = await wasmDecoder()
const synthetic = await formatMatrix(64, 48)

async function timed(
  decode: ImageDecoder,
  bytes: Uint8Array,
): Promise<{ tensor: Float32Array; ms: number; img: RgbImage }> {
  const started = performance.now()
  const img = await decode(bytes)
  const tensor = toModelInput(img, POLICY)
  return { tensor, img, ms: performance.now() - started }
}

describe('node and wasm decoders agree', () => {
  it.each(Object.entries(synthetic))('on %s', async (name, bytes) => {
    const [a, b] = await Promise.all([decodeImage(bytes), wasm(bytes)])
    const { mean, max } = diff(a.data, b.data)
    // Lossless data has one right answer, so any difference is a bug in our alpha/orientation/depth
    // handling. Lossy decoders may legitimately round differently (today they agree bit for bit).
    const lossy = name.startsWith('JPEG') || name.startsWith('WebP lossy')
    if (lossy) expect(mean, name).toBeLessThanOrEqual(1)
    else expect(max, name).toBe(0)
  })

  it('on real photos re-encoded as PNG, lossy WebP and EXIF-rotated JPEG', async () => {
    const worst: Record<string, { mean: number; max: number }> = {}
    for (const photo of samplePhotos(6)) {
      const variants: Record<string, Uint8Array> = {
        PNG: await toBytes(sharp(photo.bytes).png()),
        'lossy WebP': await toBytes(sharp(photo.bytes).webp({ quality: 80 })),
        'JPEG rotated by EXIF 6': await toBytes(sharp(photo.bytes).withMetadata({ orientation: 6 }).jpeg()),
        'JPEG rotated by EXIF 3': await toBytes(sharp(photo.bytes).withMetadata({ orientation: 3 }).jpeg()),
      }
      for (const [kind, bytes] of Object.entries(variants)) {
        const { mean, max } = diff(
          toModelInput(await decodeImage(bytes), POLICY),
          toModelInput(await wasm(bytes), POLICY),
        )
        expect(mean, `${photo.name} as ${kind}`).toBeLessThanOrEqual(1)
        const seen = worst[kind] ?? { mean: 0, max: 0 }
        worst[kind] = { mean: Math.max(seen.mean, mean), max: Math.max(seen.max, max) }
      }
    }
    const report = Object.entries(worst).map(
      ([kind, d]) => `${kind} ${d.mean.toFixed(4)}/${d.max.toFixed(3)}`,
    )
    console.info(`re-encoded photo parity, worst tensor mean/max |Δ|: ${report.join(', ')}`)
  })

  it(`on 50 real photos, as 224×224 center-crop tensors: mean |Δ| ≤ 1 (${DATA_DIR})`, async () => {
    const photos = samplePhotos(50)
    expect(photos.length).toBe(50)
    await timed(decodeImage, photos[0]!.bytes) // warm both paths up before timing
    await timed(wasm, photos[0]!.bytes)
    let meanSum = 0
    let worst = 0
    let pixelWorst = 0
    let nodeMs = 0
    let wasmMs = 0
    for (const photo of photos) {
      const node = await timed(decodeImage, photo.bytes)
      const web = await timed(wasm, photo.bytes)
      const tensors = diff(node.tensor, web.tensor)
      meanSum += tensors.mean
      worst = Math.max(worst, tensors.max)
      pixelWorst = Math.max(pixelWorst, diff(node.img.data, web.img.data).max)
      nodeMs += node.ms
      wasmMs += web.ms
    }
    const mean = meanSum / photos.length
    console.info(
      `parity on ${photos.length} photos: tensor mean |Δ| ${mean.toFixed(4)}, max |Δ| ${worst.toFixed(4)} ` +
        `(decoded pixels max |Δ| ${pixelWorst}); decode+resize per image: ` +
        `node ${(nodeMs / photos.length).toFixed(1)} ms, wasm ${(wasmMs / photos.length).toFixed(1)} ms`,
    )
    expect(mean).toBeLessThanOrEqual(1)
  })

  it('on phone-sized photos, the Worker decoding them at 1/8 in the IDCT and Node at full size', async () => {
    // The Worker passes the model's input size as a DecodeHint and libjpeg-turbo decodes a large JPEG at
    // 1/2, 1/4 or 1/8 (an 8×8 block's DC term is its mean, a box filter); Node decodes every pixel, then
    // the triangle filter shrinks both. sharp's own shrink-on-load is not used in Node: sharp picks its
    // shrink factor itself and resamples the rest with its own kernel, so the trainer keeps full
    // resolution as the reference and this bounds how far the scaled decode lands from it.
    let worst = { mean: 0, max: 0 }
    for (const photo of samplePhotos(6)) {
      for (const [width, height] of [
        [4032, 3024],
        [4608, 3456],
      ] as const) {
        const bytes = await phonePhoto(photo.bytes, width, height)
        const scaled = await wasm(bytes, undefined, { minSide: POLICY.size })
        expect(scaled.width, photo.name).toBe(width / 8)
        const d = diff(toModelInput(await decodeImage(bytes), POLICY), toModelInput(scaled, POLICY))
        expect(d.mean, `${photo.name} at ${width}×${height}`).toBeLessThanOrEqual(1)
        worst = { mean: Math.max(worst.mean, d.mean), max: Math.max(worst.max, d.max) }
      }
    }
    console.info(
      `12 and 16 MP photo parity (wasm at 1/8 vs sharp at full size), worst tensor mean/max |Δ|: ` +
        `${worst.mean.toFixed(4)}/${worst.max.toFixed(3)}`,
    )
    // 12 photos of 12–16 MP, each encoded by sharp and resized from full size in JS: about 15 s on two
    // idle cores, past 30 s while turbo runs every package's tests beside it.
  }, 180_000)
})
