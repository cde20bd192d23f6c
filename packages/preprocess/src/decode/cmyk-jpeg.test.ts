import { diff, samplePhotos } from '@whisker/fixtures'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { MAX_JPEG_SCANS as MAX_CMYK_SCANS } from '../complete.ts'
import { CorruptImageError, PixelBudgetError, PreprocessError } from '../errors.ts'
import { readImageHeader } from '../header.ts'
import { applyOrientation, type Orientation } from '../orient.ts'
import { seededRandom } from '../random.ts'
import { toModelInput } from '../resize.ts'
import { rejection } from '../test-support/catch.ts'
import { adobeJpeg, cmykJpeg, type InkImage, inkOf, inkToRgb } from '../test-support/cmyk.ts'
import { insertExif, pattern } from '../test-support/images.ts'
import { mangle } from '../test-support/random.ts'
import { withExtraScans } from '../test-support/scans.ts'
import { wasmDecoder } from '../test-support/wasm.ts'
import { CMYK_PIXEL_COST, type ImageDecoder, type RgbImage } from '../types.ts'
import { decodeCmykJpeg } from './cmyk-jpeg.ts'
import { decodeImage } from './node.ts'

/**
 * CMYK and YCCK JPEGs go to one pure-JS decoder on every runtime, so the Node and wasm decoders must
 * agree on them exactly, not just within the parity tolerance of the other formats.
 */
const decoders: Array<[string, ImageDecoder]> = [
  ['node (sharp)', decodeImage],
  ['wasm (@jsquash)', await wasmDecoder()],
]
const sameImage = (a: RgbImage, b: RgbImage) =>
  a.width === b.width && a.height === b.height && Buffer.from(a.data).equals(Buffer.from(b.data))

// A real photo, converted to CMYK by sharp (ICC), and the same inks as YCCK.
const photo = await decodeImage(samplePhotos(1)[0]!.bytes)
const photoCmyk = await cmykJpeg(photo, { quality: 90 })
const photos: Record<string, Uint8Array> = {
  'CMYK baseline': photoCmyk,
  'CMYK progressive': await cmykJpeg(photo, { quality: 90, progressive: true }),
  YCCK: await adobeJpeg(await inkOf(photoCmyk), 'ycck', 90),
}
const small = pattern(48, 32)
const smallCmyk = await cmykJpeg(small)
const smalls: Record<string, Uint8Array> = {
  CMYK: smallCmyk,
  'CMYK progressive': await cmykJpeg(small, { progressive: true }),
  YCCK: await adobeJpeg(await inkOf(smallCmyk), 'ycck'),
}

describe('CMYK and YCCK JPEGs', () => {
  it.each(Object.entries(photos))(
    '%s: the Node and wasm decoders return the same RgbImage and the same model input',
    async (_, bytes) => {
      const [node, wasm] = await Promise.all(decoders.map(([, decode]) => decode(bytes)))
      expect(node).toMatchObject({ width: photo.width, height: photo.height })
      expect(sameImage(node!, wasm!)).toBe(true)
      for (const mode of ['center-crop', 'stretch'] as const) {
        const policy = { mode, size: 224, filter: 'bilinear' } as const
        const a = toModelInput(node!, policy)
        const b = toModelInput(wasm!, policy)
        expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), mode).toBe(true)
      }
    },
  )

  it.each(Object.entries(photos))(
    '%s: reads the inks libjpeg reads and converts them the Adobe way, (255 − C)(255 − K) / 255',
    async (_, bytes) => {
      // libjpeg (through sharp, before its ICC step) is an independent reading of the same file.
      const expected = inkToRgb(await inkOf(bytes))
      const { mean, max } = diff((await decodeImage(bytes)).data, expected.data)
      expect(mean).toBeLessThan(0.5) // measured 0.06-0.24: the two IDCTs round differently
      expect(max).toBeLessThanOrEqual(4)
    },
  )

  describe('keeps solid inks their colour', () => {
    const patches: Array<[string, number[], number[]]> = [
      ['no ink → white', [0, 0, 0, 0], [255, 255, 255]],
      ['K → black', [0, 0, 0, 255], [0, 0, 0]],
      ['half K → mid grey', [0, 0, 0, 128], [127, 127, 127]],
      ['C → cyan', [255, 0, 0, 0], [0, 255, 255]],
      ['M → magenta', [0, 255, 0, 0], [255, 0, 255]],
      ['Y → yellow', [0, 0, 255, 0], [255, 255, 0]],
      ['M + Y → red', [0, 255, 255, 0], [255, 0, 0]],
      ['C + Y → green', [255, 0, 255, 0], [0, 255, 0]],
      ['C + M → blue', [255, 255, 0, 0], [0, 0, 255]],
    ]
    const size = 16 // whole 8×8 blocks, so every patch is flat after the DCT
    const width = size * patches.length
    const ink: InkImage = { width, height: size, data: new Uint8Array(width * size * 4) }
    for (let p = 0; p < width * size; p++) ink.data.set(patches[Math.floor((p % width) / size)]![1], p * 4)

    it.each(['cmyk', 'ycck'] as const)('as %s, on both decoders', async (transform) => {
      const bytes = await adobeJpeg(ink, transform)
      for (const [name, decode] of decoders) {
        const out = await decode(bytes)
        for (const [i, [patch, , rgb]] of patches.entries()) {
          const at = (8 * width + i * size + 8) * 3
          const got = [...out.data.subarray(at, at + 3)]
          // CMYK is exact; YCCK goes through YCbCr and back, which costs a level or two.
          for (let c = 0; c < 3; c++)
            expect(Math.abs(got[c]! - rgb[c]!), `${name}: ${patch} ${got}`).toBeLessThanOrEqual(2)
        }
      }
    })

    it("turns sharp's CMYK for sRGB white, black, red and a skin tone back into them", async () => {
      const colours = [
        [255, 255, 255],
        [0, 0, 0],
        [255, 0, 0],
        [224, 172, 140],
      ]
      const img = {
        width: size * colours.length,
        height: size,
        data: new Uint8Array(colours.length * size * size * 3),
      }
      for (let p = 0; p < img.width * size; p++)
        img.data.set(colours[Math.floor((p % img.width) / size)]!, p * 3)
      const out = await decodeImage(await cmykJpeg(img))
      const at = (i: number) => [
        ...out.data.subarray((8 * img.width + i * size + 8) * 3, (8 * img.width + i * size + 8) * 3 + 3),
      ]
      expect(at(0)).toEqual([255, 255, 255])
      expect(at(1)).toEqual([0, 0, 0]) // sharp's ICC rendering: 10, 5, 0 (rich black)
      expect(at(2)).toEqual([255, 0, 0]) // ICC: 232, 0, 0
      for (const [c, value] of at(3).entries())
        expect(Math.abs(value - colours[3]![c]!)).toBeLessThanOrEqual(6)
    })
  })

  it("stays near sharp's own ICC rendering of a CMYK photo (mean |Δ| about 12 of 255 over 30 photos)", async () => {
    // sharp converts CMYK with a CMYK ICC profile (dot gain, rich black): a systematic difference that
    // no runtime but Node could reproduce. What matters is that the runtimes agree, tested above.
    const icc = await sharp(photoCmyk).toColourspace('srgb').raw().toBuffer()
    expect(diff((await decodeImage(photoCmyk)).data, icc).mean).toBeLessThan(20)
  })

  describe.each(decoders)('the %s decoder', (_, decode) => {
    it.each(Object.entries(smalls))(
      'applies every EXIF orientation (1-8, both byte orders) of a %s JPEG',
      async (_, bytes) => {
        const upright = await decode(bytes)
        for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8] as Orientation[]) {
          for (const order of ['II', 'MM'] as const) {
            const out = await decode(insertExif(bytes, orientation, order))
            expect(sameImage(out, applyOrientation(upright, orientation)), `${orientation} ${order}`).toBe(
              true,
            )
          }
        }
      },
    )

    it.each(Object.entries(smalls))(
      'refuses a truncated %s JPEG as CORRUPT_IMAGE, with the reason',
      async (_, bytes) => {
        for (const length of [
          20,
          bytes.length * 0.3,
          bytes.length * 0.6,
          bytes.length * 0.9,
          bytes.length - 2,
        ]) {
          const error = await rejection(decode(bytes.subarray(0, Math.floor(length))))
          expect(error, `cut at ${Math.floor(length)}`).toBeInstanceOf(CorruptImageError)
          expect(error).toMatchObject({ message: expect.stringMatching(/truncated/) })
        }
      },
    )

    it(`counts ${CMYK_PIXEL_COST} times its pixels against maxPixels (its decoder needs that much memory)`, async () => {
      const pixels = photo.width * photo.height
      const fits = await decode(photoCmyk, { maxPixels: pixels * CMYK_PIXEL_COST })
      expect(fits).toMatchObject({ width: photo.width, height: photo.height })
      const error = await rejection(decode(photoCmyk, { maxPixels: pixels * CMYK_PIXEL_COST - 1 }))
      expect(error).toBeInstanceOf(PixelBudgetError)
      expect(error).toMatchObject({ maxPixels: pixels - 1, message: expect.stringMatching(/CMYK JPEGs/) })
    })

    it(`decodes ${MAX_CMYK_SCANS} scans and refuses more at once, before jpeg-js walks them`, async () => {
      const progressive = smalls['CMYK progressive']!
      expect(await decode(withExtraScans(progressive, MAX_CMYK_SCANS - 1))).toMatchObject({ width: 48 })
      const error = await rejection(decode(withExtraScans(progressive, MAX_CMYK_SCANS)))
      expect(error).toMatchObject({
        code: 'CORRUPT_IMAGE',
        message: expect.stringMatching(/more than 64 scans/),
      })
    })

    it('survives mangled CMYK and YCCK data: an RGB image or a PreprocessError, quickly', async () => {
      const random = seededRandom(4)
      const seeds = Object.values(smalls)
      const started = performance.now()
      for (let trial = 0; trial < 150; trial++) {
        const source = seeds[trial % seeds.length]!
        const bytes = random() < 0.5 ? mangle(source, random) : source.slice()
        for (let e = 0; e < 3; e++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
        try {
          const out = await decode(bytes)
          expect(out.data.length).toBe(out.width * out.height * 3)
        } catch (error) {
          expect(error).toBeInstanceOf(PreprocessError)
        }
      }
      expect(performance.now() - started).toBeLessThan(5000)
    })
  })

  it('refuses thousands of scans in milliseconds (jpeg-js would walk every block in each)', async () => {
    const big = await cmykJpeg(pattern(1024, 1024), { progressive: true })
    const hostile = withExtraScans(big, 20_000)
    const started = performance.now()
    expect(await rejection(decodeImage(hostile))).toBeInstanceOf(CorruptImageError)
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('decodeCmykJpeg insists on the header of a CMYK or YCCK JPEG', () => {
    const header = readImageHeader(smallCmyk)
    expect(decodeCmykJpeg(smallCmyk, header)).toMatchObject({ width: 48, height: 32 })
    expect(() => decodeCmykJpeg(smallCmyk, { ...header, colourSpace: undefined })).toThrow(TypeError)
  })
})
