import { phonePhoto, samplePhotos } from '@whisker/fixtures'
import { describe, expect, it } from 'vitest'
import { compileWasmModules } from './compile-wasm.ts'
import { jpegScaleFor, scaledSize } from './turbo-jpeg.ts'
import { createWasmDecoder, jpegCodecMemoryBytes } from './workers.ts'

const MiB = 2 ** 20

describe('jpegScaleFor', () => {
  it('picks the largest of 1/8, 1/4, 1/2 that keeps the shorter side at least minSide', () => {
    expect(jpegScaleFor(4032, 3024, 224)).toBe(8) // 504 × 378
    expect(jpegScaleFor(1920, 1440, 224)).toBe(4) // 480 × 360
    expect(jpegScaleFor(800, 600, 224)).toBe(2) // 400 × 300
    expect(jpegScaleFor(500, 374, 224)).toBe(1)
    expect(jpegScaleFor(224, 5000, 224)).toBe(1) // the shorter side decides, whatever the orientation
    expect(jpegScaleFor(1792, 1792, 224)).toBe(8) // exactly 224 is enough
  })

  it("rounds scaled sizes up, as libjpeg's jdiv_round_up does", () => {
    expect(scaledSize(4032, 8)).toBe(504)
    expect(scaledSize(4033, 8)).toBe(505)
    expect(scaledSize(1, 8)).toBe(1)
  })
})

describe('scaled JPEG decode (wasm decoder with a DecodeHint)', async () => {
  const modules = await compileWasmModules()
  const decode = createWasmDecoder(modules)
  const [photo] = samplePhotos(1)
  const twelveMp = await phonePhoto(photo!.bytes, 4032, 3024)

  it('decodes a 12 MP photo at 1/8 and says how large the photo is', async () => {
    const image = await decode(twelveMp, undefined, { minSide: 224 })
    expect(image).toMatchObject({ width: 504, height: 378, source: { width: 4032, height: 3024 } })
    expect(image.data.length).toBe(504 * 378 * 3)
  })

  it('reports the oriented source size when EXIF turns the photo', async () => {
    const turned = await phonePhoto(photo!.bytes, 4032, 3024, { orientation: 6 })
    const image = await decode(turned, undefined, { minSide: 224 })
    expect(image).toMatchObject({ width: 378, height: 504, source: { width: 3024, height: 4032 } })
  })

  it('decodes at full size, without `source`, when there is no hint or the photo is small', async () => {
    expect((await decode(photo!.bytes, undefined, { minSide: 224 })).source).toBeUndefined()
    const full = await decode(twelveMp)
    expect(full).toMatchObject({ width: 4032, height: 3024 })
    expect(full.source).toBeUndefined()
  })

  it('keeps the codec memory far below a full decode for a 16 MP photo', async () => {
    // A fresh module gets a fresh codec instance, so its memory is this decode's alone.
    const fresh = await compileWasmModules()
    const sixteenMp = await phonePhoto(photo!.bytes, 4608, 3456)
    await createWasmDecoder(fresh)(sixteenMp, undefined, { minSide: 224 })
    const used = jpegCodecMemoryBytes(fresh.jpeg)
    console.info(`libjpeg-turbo memory after a 16 MP baseline JPEG at 1/8: ${(used / MiB).toFixed(1)} MiB`)
    // A full-size RGB decode would need 45.6 MiB for its output alone.
    expect(used).toBeLessThanOrEqual(8 * MiB)
  })

  it('keeps a progressive 16 MP photo within its whole-image coefficient buffer', async () => {
    // Progressive JPEGs are decoded scan by scan, so libjpeg must hold every DCT coefficient of the image:
    // 2 bytes per coefficient, 1.5 coefficients a pixel at 4:2:0 (what phones and sharp write), whatever
    // the output scale. That, not the pixels, bounds a progressive decode.
    const fresh = await compileWasmModules()
    const progressive = await phonePhoto(photo!.bytes, 4608, 3456, { progressive: true })
    await createWasmDecoder(fresh)(progressive, undefined, { minSide: 224 })
    const used = jpegCodecMemoryBytes(fresh.jpeg)
    console.info(`libjpeg-turbo memory after a 16 MP progressive JPEG at 1/8: ${(used / MiB).toFixed(1)} MiB`)
    expect(used).toBeLessThanOrEqual(4608 * 3456 * 3 + 8 * MiB)
  })
})
