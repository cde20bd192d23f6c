import { findExif, orientationTag } from './exif.ts'
import { sniffFormat } from './sniff.ts'
import type { ImageFormat, RgbImage } from './types.ts'

/**
 * EXIF orientation: how the stored pixels must be transformed for display.
 * 1 as stored, 2 mirrored left-right, 3 rotated 180°, 4 mirrored top-bottom, 5 transposed (mirrored
 * along the main diagonal), 6 rotated 90° clockwise, 7 transversed (mirrored along the anti-diagonal),
 * 8 rotated 90° counter-clockwise.
 */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8

export function isOrientation(value: unknown): value is Orientation {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8
}

/**
 * The orientation the EXIF block asks for, or 1 when there is no EXIF or the tag is absent or invalid
 * (what sharp does too: a bad tag never makes an image undecodable).
 */
export function readOrientation(bytes: Uint8Array, format: ImageFormat = sniffFormat(bytes)): Orientation {
  const exif = findExif(bytes, format)
  const tag = exif ? orientationTag(exif) : undefined
  return isOrientation(tag) ? tag : 1
}

/** True for the orientations that swap width and height. */
export function swapsAxes(orientation: Orientation): boolean {
  return orientation >= 5
}

/**
 * Where output pixel (x, y) reads from, as an affine walk over source pixel indices:
 * source = origin + x · dx + y · dy. One table instead of eight loops keeps the cases checkable.
 */
function sourceWalk(
  orientation: Orientation,
  w: number,
  h: number,
): { origin: number; dx: number; dy: number } {
  switch (orientation) {
    case 1:
      return { origin: 0, dx: 1, dy: w }
    case 2: // out(x, y) = in(w-1-x, y)
      return { origin: w - 1, dx: -1, dy: w }
    case 3: // out(x, y) = in(w-1-x, h-1-y)
      return { origin: h * w - 1, dx: -1, dy: -w }
    case 4: // out(x, y) = in(x, h-1-y)
      return { origin: (h - 1) * w, dx: 1, dy: -w }
    case 5: // out(x, y) = in(y, x)
      return { origin: 0, dx: w, dy: 1 }
    case 6: // out(x, y) = in(y, h-1-x)
      return { origin: (h - 1) * w, dx: -w, dy: 1 }
    case 7: // out(x, y) = in(w-1-y, h-1-x)
      return { origin: h * w - 1, dx: -w, dy: -1 }
    case 8: // out(x, y) = in(w-1-y, x)
      return { origin: w - 1, dx: w, dy: -1 }
  }
}

/**
 * Applies an EXIF orientation in pure TS, for runtimes whose codecs ignore EXIF (wasm). Matches
 * sharp's `.rotate()` pixel for pixel (a test holds it to that). Orientation 1 returns the input.
 */
export function applyOrientation(img: RgbImage, orientation: Orientation): RgbImage {
  if (orientation === 1) return img
  const { width: w, height: h, data } = img
  const outW = swapsAxes(orientation) ? h : w
  const outH = swapsAxes(orientation) ? w : h
  const { origin, dx, dy } = sourceWalk(orientation, w, h)
  const out = new Uint8Array(w * h * 3)
  let o = 0
  for (let y = 0; y < outH; y++) {
    let s = origin + y * dy
    for (let x = 0; x < outW; x++) {
      const p = s * 3
      out[o] = data[p]!
      out[o + 1] = data[p + 1]!
      out[o + 2] = data[p + 2]!
      o += 3
      s += dx
    }
  }
  return { width: outW, height: outH, data: out }
}
