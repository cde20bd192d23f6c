import { samplePhotos } from '@whisker/fixtures'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { assertComplete, MAX_JPEG_SCANS } from './complete.ts'
import { CorruptImageError } from './errors.ts'
import { sniffFormat } from './sniff.ts'
import { formatMatrix } from './test-support/images.ts'
import { withExtraScans } from './test-support/scans.ts'

const images = await formatMatrix(48, 32)
const check = (bytes: Uint8Array) => assertComplete(bytes, sniffFormat(bytes))

describe('assertComplete', () => {
  it.each(Object.entries(images))('accepts a whole %s', (_, bytes) => {
    expect(() => check(bytes)).not.toThrow()
  })

  it('accepts real photos', () => {
    for (const photo of samplePhotos(50)) expect(() => check(photo.bytes), photo.name).not.toThrow()
  })

  it.each(Object.entries(images))('refuses %s cut at any of several points as CORRUPT_IMAGE', (_, bytes) => {
    for (const fraction of [0.3, 0.6, 0.9]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction))
      expect(() => check(cut), `cut at ${fraction}`).toThrow(CorruptImageError)
    }
  })

  it('refuses a JPEG missing only its final EOI marker', () => {
    const jpeg = images['JPEG baseline']!
    expect(() => check(jpeg.subarray(0, jpeg.length - 2))).toThrow(/truncated JPEG/)
  })

  it('tolerates bytes after the end (some cameras append junk or a second image)', () => {
    for (const bytes of Object.values(images)) {
      const padded = new Uint8Array([...bytes, 0, 1, 2, 3, 4, 5, 6, 7])
      expect(() => check(padded)).not.toThrow()
    }
  })

  it('refuses a PNG that stops right before IEND', () => {
    const png = images['PNG 8-bit RGB']!
    expect(() => check(png.subarray(0, png.length - 12))).toThrow(/no IEND/)
  })

  it('refuses a WebP shorter than its RIFF size', () => {
    const webp = images['WebP lossless']!
    expect(() => check(webp.subarray(0, webp.length - 1))).toThrow(/truncated WebP/)
  })

  it(`refuses any JPEG with more than ${MAX_JPEG_SCANS} scans, which would keep a decoder busy for minutes`, async () => {
    const [photo] = samplePhotos(1)
    const progressive = new Uint8Array(await sharp(photo!.bytes).jpeg({ progressive: true }).toBuffer())
    expect(() => assertComplete(withExtraScans(progressive, MAX_JPEG_SCANS - 1), 'jpeg')).not.toThrow()
    expect(() => assertComplete(withExtraScans(progressive, MAX_JPEG_SCANS), 'jpeg')).toThrow(
      /more than 64 scans/,
    )
  })
})
