import { samplePhotos } from '@whisker/fixtures'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { assertComplete } from './complete.ts'
import { CorruptImageError, PreprocessError, UnsupportedImageTypeError } from './errors.ts'
import { readImageHeader } from './header.ts'
import { readOrientation } from './orient.ts'
import { seededRandom } from './random.ts'
import { caught } from './test-support/catch.ts'
import { formatMatrix, jpegHeaderClaiming, pattern, toBytes, withOrientation } from './test-support/images.ts'
import { mangle } from './test-support/random.ts'

const images = await formatMatrix(48, 32)
const exifJpeg = await withOrientation(pattern(16, 8), 'jpeg', 6)

describe('readImageHeader', () => {
  it.each(Object.entries(images))('reads the size of %s without decoding', (name, bytes) => {
    const colourSpace = /CMYK|YCCK/.exec(name)?.[0].toLowerCase()
    expect(readImageHeader(bytes)).toStrictEqual({
      format: name.split(' ')[0]!.toLowerCase(),
      width: 48,
      height: 32,
      ...(colourSpace && { colourSpace }),
      // CMYK ones are marked by colour space only: jpeg-js decodes them, progressive or not.
      ...(name === 'JPEG progressive' && { progressive: true }),
    })
  })

  it('agrees with sharp on real photos', async () => {
    for (const photo of samplePhotos(20)) {
      const meta = await sharp(photo.bytes).metadata()
      expect(readImageHeader(photo.bytes), photo.name).toMatchObject({
        width: meta.width,
        height: meta.height,
      })
    }
  })

  it('reads 32-bit PNG dimensions (beyond what a JPEG header can hold)', async () => {
    const wide = await toBytes(
      sharp({ create: { width: 17000, height: 2, channels: 3, background: '#000' } }).png(),
    )
    expect(readImageHeader(wide)).toMatchObject({ width: 17000, height: 2 })
  })

  it('reads a header claiming 50000×50000 from 23 bytes, allocating nothing', () => {
    expect(readImageHeader(jpegHeaderClaiming(50000, 50000))).toEqual({
      format: 'jpeg',
      width: 50000,
      height: 50000,
    })
  })

  it('walks past APPn segments and 0xFF fill bytes to the frame header', () => {
    const app0 = [0xff, 0xe0, 0x00, 0x06, 1, 2, 3, 4]
    const bytes = jpegHeaderClaiming(640, 480)
    const padded = new Uint8Array([...bytes.subarray(0, 2), ...app0, 0xff, 0xff, ...bytes.subarray(2)])
    expect(readImageHeader(padded)).toMatchObject({ width: 640, height: 480 })
  })

  describe('refuses broken headers as CORRUPT_IMAGE with a reason', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['a JPEG that is only SOI', new Uint8Array([0xff, 0xd8, 0xff]), /truncated JPEG marker/],
      [
        'a JPEG with a segment running past the end',
        new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x40, 0x00, 1]),
        /truncated/,
      ],
      [
        'a JPEG with a segment length below 2',
        new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01]),
        /segment length 1/,
      ],
      [
        'a JPEG with garbage where a marker belongs',
        new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 2, 0x12]),
        /expected a JPEG marker/,
      ],
      [
        'a JPEG whose scan starts before any frame',
        new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2]),
        /before its frame header/,
      ],
      ['a JPEG of zero width', jpegHeaderClaiming(0, 10), /0×10/],
      ['a PNG that is only its signature', images['PNG 8-bit RGB']!.subarray(0, 8), /truncated/],
      ['a PNG cut inside IHDR', images['PNG 8-bit RGB']!.subarray(0, 24), /truncated PNG IHDR/],
      ['a PNG without IHDR first', withByte(images['PNG 8-bit RGB']!, 12, 0x58), /IHDR/],
      ['a PNG with an impossible bit depth', withByte(images['PNG 8-bit RGB']!, 24, 7), /bit depth 7/],
      ['a WebP with no chunk', new TextEncoder().encode('RIFF\x04\0\0\0WEBP'), /no chunks/],
      [
        'a WebP with an unknown first chunk',
        new TextEncoder().encode('RIFF\x0c\0\0\0WEBPABCD\0\0\0\0'),
        /unknown/,
      ],
      ['a WebP cut inside its frame header', images['WebP lossy']!.subarray(0, 26), /truncated/],
    ]
    it.each(cases)('%s', (_, bytes, reason) => {
      const error = caught(() => readImageHeader(bytes))
      expect(error).toBeInstanceOf(CorruptImageError)
      expect(error).toMatchObject({ code: 'CORRUPT_IMAGE', message: expect.stringMatching(reason) })
    })
  })

  describe('CMYK and YCCK JPEGs (4 components)', () => {
    const cmyk = images['JPEG CMYK']!
    const ycck = images['JPEG YCCK']!
    const adobeAt = (bytes: Uint8Array) => segmentAt(bytes, 0xee)
    const sofAt = (bytes: Uint8Array) => segmentAt(bytes, 0xc0)

    it('says which of the two the Adobe marker declares (transform 0 or 2)', () => {
      expect(readImageHeader(cmyk)).toMatchObject({ colourSpace: 'cmyk' })
      expect(readImageHeader(ycck)).toMatchObject({ colourSpace: 'ycck' })
      expect(readImageHeader(images['JPEG baseline']!)).not.toHaveProperty('colourSpace')
    })

    it('finds an Adobe marker placed after the frame header too', () => {
      const adobe = adobeAt(cmyk)
      const segment = cmyk.subarray(adobe - 4, adobe + 12)
      const withoutAdobe = [...cmyk.subarray(0, adobe - 4), ...cmyk.subarray(adobe + 12)]
      const sos = withoutAdobe.findIndex((b, i) => b === 0xff && withoutAdobe[i + 1] === 0xda)
      const moved = new Uint8Array([...withoutAdobe.slice(0, sos), ...segment, ...withoutAdobe.slice(sos)])
      expect(readImageHeader(moved)).toMatchObject({ colourSpace: 'cmyk' })
    })

    const refusals: Array<[string, () => Uint8Array, new (...args: never[]) => PreprocessError, RegExp]> = [
      [
        'without an Adobe marker (CMYK or YCCK, inverted or not, is a guess)',
        () => withByte(cmyk, adobeAt(cmyk) - 3, 0xed), // APP14 → APP13
        UnsupportedImageTypeError,
        /without an Adobe marker/,
      ],
      [
        'with Adobe transform 1 (YCbCr, which needs 3 components)',
        () => withByte(cmyk, adobeAt(cmyk) + 11, 1),
        CorruptImageError,
        /Adobe transform 1/,
      ],
      ['12-bit', () => withByte(cmyk, sofAt(cmyk), 12), UnsupportedImageTypeError, /12-bit JPEG/],
      [
        'with a sampling factor over 4',
        () => withByte(cmyk, sofAt(cmyk) + 7, 0x51),
        CorruptImageError,
        /sampling factors 5×1/,
      ],
    ]
    it.each(refusals)('refuses one %s', (_, make, type, reason) => {
      const error = caught(() => readImageHeader(make()))
      expect(error).toBeInstanceOf(type)
      expect(error).toMatchObject({ message: expect.stringMatching(reason) })
    })
  })

  describe('refuses variants some runtime cannot decode as UNSUPPORTED_TYPE', () => {
    it('lossless (SOF3) JPEG', () => {
      const lossless = jpegHeaderClaiming(8, 8)
      lossless[3] = 0xc3
      expect(() => readImageHeader(lossless)).toThrow(UnsupportedImageTypeError)
    })

    it('arithmetic-coded JPEG, sequential (SOF9) or progressive (SOF10), RGB or CMYK', () => {
      for (const image of [images['JPEG baseline']!, images['JPEG CMYK']!]) {
        const sof = segmentAt(image, 0xc0)
        for (const marker of [0xc9, 0xca]) {
          expect(() => readImageHeader(withByte(image, sof - 3, marker))).toThrow(/arithmetic-coded JPEG/)
        }
      }
    })

    it('animated WebP', async () => {
      const frame = (background: string) =>
        sharp({ create: { width: 8, height: 8, channels: 3, background } })
          .png()
          .toBuffer()
      const frames = await toBytes(
        sharp(await Promise.all([frame('#f00'), frame('#00f')]), { join: { animated: true } }).webp(),
      )
      expect(() => readImageHeader(frames)).toThrow(/animated WebP/)
    })
  })

  it('never loops or throws anything but a PreprocessError on mangled input (nor do the other parsers)', () => {
    const random = seededRandom(42)
    const seeds = [...Object.values(images), exifJpeg]
    const started = performance.now()
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = mangle(seeds[trial % seeds.length]!, random)
      try {
        const header = readImageHeader(bytes)
        expect(header.width).toBeGreaterThan(0)
        expect(header.height).toBeGreaterThan(0)
        expect(readOrientation(bytes, header.format)).toBeGreaterThanOrEqual(1)
        assertComplete(bytes, header.format)
      } catch (error) {
        expect(error).toBeInstanceOf(PreprocessError)
      }
    }
    expect(performance.now() - started).toBeLessThan(5000)
  })
})

/** Where the payload of the first segment with this marker starts (after its length bytes). */
function segmentAt(bytes: Uint8Array, marker: number): number {
  const at = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === marker)
  if (at < 0) throw new Error(`no 0x${marker.toString(16)} segment`)
  return at + 4
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice()
  copy[at] = value
  return copy
}
