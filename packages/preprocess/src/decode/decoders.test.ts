import { describe, expect, it } from 'vitest'
import { PreprocessError } from '../errors.ts'
import { applyOrientation, type Orientation } from '../orient.ts'
import { seededRandom } from '../random.ts'
import { rejection } from '../test-support/catch.ts'
import {
  formatMatrix,
  fromRaw,
  insertExif,
  jpegHeaderClaiming,
  pattern,
  toBytes,
  withOrientation,
} from '../test-support/images.ts'
import { mangle } from '../test-support/random.ts'
import { wasmDecoder } from '../test-support/wasm.ts'
import type { ImageDecoder, RgbImage } from '../types.ts'
import { decodeImage } from './node.ts'

/**
 * The contract every decoder honours, run against each runtime's implementation: same sizes, same
 * orientation handling, same background, same refusals with the same codes.
 */
const decoders: Array<[string, ImageDecoder]> = [
  ['node (sharp)', decodeImage],
  ['wasm (@jsquash)', await wasmDecoder()],
]
const img = pattern(48, 32)
const images = await formatMatrix(48, 32)
const ORIENTATIONS: Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8]
const sameImage = (a: RgbImage, b: RgbImage) =>
  a.width === b.width && a.height === b.height && Buffer.from(a.data).equals(Buffer.from(b.data))

describe.each(decoders)('the %s decoder', (_, decode) => {
  it.each(Object.entries(images))('decodes %s to 8-bit RGB at full resolution', async (_, bytes) => {
    const out = await decode(bytes)
    expect(out).toMatchObject({ width: 48, height: 32 })
    expect(out.data).toBeInstanceOf(Uint8Array)
    expect(out.data.length).toBe(48 * 32 * 3)
  })

  it('decodes lossless formats to exactly the encoded pixels', async () => {
    for (const name of ['PNG 8-bit RGB', 'PNG 16-bit RGB', 'WebP lossless']) {
      expect(sameImage(await decode(images[name]!), img), name).toBe(true)
    }
  })

  it('composites transparency onto white: transparent → 255, opaque → unchanged', async () => {
    for (const name of ['PNG RGBA', 'WebP lossless RGBA']) {
      const out = await decode(images[name]!)
      // Column 0 has alpha 0, column 47 alpha 255 (see patternRgba).
      expect([...out.data.subarray(0, 3)], name).toEqual([255, 255, 255])
      const last = (48 - 1) * 3
      expect([...out.data.subarray(last, last + 3)], name).toEqual([...img.data.subarray(last, last + 3)])
    }
  })

  it('turns greyscale into three equal channels', async () => {
    const out = await decode(images['PNG greyscale']!)
    for (let i = 0; i < out.data.length; i += 3) {
      if (out.data[i] !== out.data[i + 1] || out.data[i] !== out.data[i + 2])
        throw new Error(`pixel ${i / 3}`)
    }
  })

  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`applies every EXIF orientation (1-8) of a ${format.toUpperCase()}`, async () => {
      const upright = await decode(await withOrientation(img, format, 1))
      for (const orientation of ORIENTATIONS) {
        const out = await decode(await withOrientation(img, format, orientation))
        expect(sameImage(out, applyOrientation(upright, orientation)), `orientation ${orientation}`).toBe(
          true,
        )
      }
    })
  }

  it('reads JPEG EXIF orientation in both byte orders', async () => {
    const plain = await toBytes(fromRaw(img, 3).jpeg({ quality: 95 }))
    const upright = await decode(plain)
    for (const order of ['II', 'MM'] as const) {
      const out = await decode(insertExif(plain, 6, order))
      expect(sameImage(out, applyOrientation(upright, 6)), order).toBe(true)
    }
  })

  it('accepts a Uint8Array that views part of a larger buffer (a pooled Node Buffer)', async () => {
    const bytes = images['JPEG baseline']!
    const big = new Uint8Array(bytes.length + 100)
    big.set(bytes, 37)
    const out = await decode(big.subarray(37, 37 + bytes.length))
    expect(sameImage(out, await decode(bytes))).toBe(true)
  })

  describe('refuses bad input with typed errors', () => {
    const refusals: Array<[string, string, () => Promise<Uint8Array> | Uint8Array, object?]> = [
      ['zero bytes', 'EMPTY_IMAGE', () => new Uint8Array()],
      ['a text file', 'UNSUPPORTED_TYPE', () => new TextEncoder().encode('this is not a photo\n')],
      ['a GIF', 'UNSUPPORTED_TYPE', () => toBytes(fromRaw(img, 3).gif())],
      ['a truncated JPEG', 'CORRUPT_IMAGE', () => cut(images['JPEG baseline']!, 0.6)],
      ['a JPEG missing its EOI', 'CORRUPT_IMAGE', () => images['JPEG progressive']!.slice(0, -2)],
      ['a truncated PNG', 'CORRUPT_IMAGE', () => cut(images['PNG 8-bit RGB']!, 0.6)],
      ['a truncated WebP', 'CORRUPT_IMAGE', () => cut(images['WebP lossy']!, 0.6)],
      [
        'a JPEG with a broken Huffman table',
        'CORRUPT_IMAGE',
        () => breakHuffmanTable(images['JPEG baseline']!),
      ],
      ['a header claiming 50000×50000', 'TOO_MANY_PIXELS', () => jpegHeaderClaiming(50000, 50000)],
      [
        'more pixels than the caller allows',
        'TOO_MANY_PIXELS',
        () => images['PNG 8-bit RGB']!,
        { maxPixels: 1000 },
      ],
      [
        'more bytes than the caller allows',
        'TOO_MANY_BYTES',
        () => images['PNG 8-bit RGB']!,
        { maxBytes: 100 },
      ],
    ]
    it.each(refusals)('%s → %s', async (_, code, make, limits) => {
      const error = await rejection(decode(await make(), limits))
      expect(error).toBeInstanceOf(PreprocessError)
      expect(error).toMatchObject({ code })
    })
  })

  it('survives mangled input: every result is an RGB image or a PreprocessError, and it keeps working', async () => {
    const random = seededRandom(2024)
    const seeds = Object.values(images)
    for (let trial = 0; trial < 60; trial++) {
      const bytes = mangleAnywhere(seeds[trial % seeds.length]!, random)
      try {
        const out = await decode(bytes)
        expect(out.data.length).toBe(out.width * out.height * 3)
      } catch (error) {
        expect(error).toBeInstanceOf(PreprocessError)
      }
    }
    expect(sameImage(await decode(images['PNG 8-bit RGB']!), img)).toBe(true)
  })
})

const cut = (bytes: Uint8Array, fraction: number) => bytes.subarray(0, Math.floor(bytes.length * fraction))

/** Sets every code-length count of the first DHT segment to 255: libjpeg reports a bogus table. */
function breakHuffmanTable(jpeg: Uint8Array): Uint8Array {
  const bytes = jpeg.slice()
  const at = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc4)
  bytes.fill(0xff, at + 5, at + 5 + 16)
  return bytes
}

/** Like `mangle`, but also flips bytes past the headers, inside the compressed data. */
function mangleAnywhere(source: Uint8Array, random: () => number): Uint8Array {
  const bytes = random() < 0.5 ? mangle(source, random) : source.slice()
  for (let e = 0; e < 3; e++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
  return bytes
}
