import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { applyOrientation, type Orientation, readOrientation } from './orient.ts'
import { fromRaw, insertExif, pattern, toBytes, withOrientation } from './test-support/images.ts'
import type { RgbImage } from './types.ts'

const ORIENTATIONS: Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8]
const img = pattern(6, 4)

/** A 3×2 image whose pixels are numbered 1..6 in the red channel, to spell out each transform. */
const numbered: RgbImage = {
  width: 3,
  height: 2,
  data: new Uint8Array([1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0]),
}
const reds = (image: RgbImage) => [...image.data].filter((_, i) => i % 3 === 0)

describe('readOrientation', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    it(`reads every orientation sharp writes into ${format.toUpperCase()} EXIF`, async () => {
      for (const orientation of ORIENTATIONS) {
        expect(readOrientation(await withOrientation(img, format, orientation))).toBe(orientation)
      }
    })
  }

  it('reads JPEG APP1 EXIF in both TIFF byte orders (II little-endian, MM big-endian)', async () => {
    const plain = await toBytes(fromRaw(img, 3).jpeg())
    for (const orientation of ORIENTATIONS) {
      expect(readOrientation(insertExif(plain, orientation, 'II'))).toBe(orientation)
      expect(readOrientation(insertExif(plain, orientation, 'MM'))).toBe(orientation)
    }
  })

  it('is 1 when there is no EXIF', async () => {
    expect(readOrientation(await toBytes(fromRaw(img, 3).jpeg()))).toBe(1)
    expect(readOrientation(await toBytes(fromRaw(img, 3).png()))).toBe(1)
    expect(readOrientation(await toBytes(fromRaw(img, 3).webp()))).toBe(1)
  })

  it('is 1 for values outside 1-8 and for EXIF blocks cut short, never an error', async () => {
    const plain = await toBytes(fromRaw(img, 3).jpeg())
    expect(readOrientation(insertExif(plain, 0, 'II'))).toBe(1)
    expect(readOrientation(insertExif(plain, 9, 'MM'))).toBe(1)
    const broken = insertExif(plain, 6, 'II')
    broken[12] = 0x99 // the TIFF header is no longer 'II'
    expect(readOrientation(broken)).toBe(1)
  })
})

describe('applyOrientation', () => {
  // Stored 3×2:  1 2 3 / 4 5 6
  const expected: Record<Orientation, { width: number; rows: number[] }> = {
    1: { width: 3, rows: [1, 2, 3, 4, 5, 6] },
    2: { width: 3, rows: [3, 2, 1, 6, 5, 4] }, // mirrored left-right
    3: { width: 3, rows: [6, 5, 4, 3, 2, 1] }, // rotated 180°
    4: { width: 3, rows: [4, 5, 6, 1, 2, 3] }, // mirrored top-bottom
    5: { width: 2, rows: [1, 4, 2, 5, 3, 6] }, // transposed
    6: { width: 2, rows: [4, 1, 5, 2, 6, 3] }, // rotated 90° clockwise
    7: { width: 2, rows: [6, 3, 5, 2, 4, 1] }, // transversed
    8: { width: 2, rows: [3, 6, 2, 5, 1, 4] }, // rotated 90° counter-clockwise
  }

  it.each(ORIENTATIONS)('orientation %i moves pixels as EXIF defines', (orientation) => {
    const out = applyOrientation(numbered, orientation)
    expect(out.width).toBe(expected[orientation].width)
    expect(out.height).toBe(6 / expected[orientation].width)
    expect(reds(out)).toEqual(expected[orientation].rows)
  })

  it.each(ORIENTATIONS)('orientation %i matches sharp .rotate() pixel for pixel', async (orientation) => {
    const { data, info } = await sharp(await withOrientation(img, 'png', orientation))
      .rotate()
      .raw()
      .toBuffer({ resolveWithObject: true })
    const ours = applyOrientation(img, orientation)
    expect([ours.width, ours.height]).toEqual([info.width, info.height])
    expect(Buffer.from(ours.data).equals(data)).toBe(true)
  })

  it('returns the very same image for orientation 1 (no copy)', () => {
    expect(applyOrientation(img, 1)).toBe(img)
  })
})
