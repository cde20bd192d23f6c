import type { RgbImage } from './types.ts'

/** Transparent pixels become this colour on every runtime (sharp's `.flatten()` gets the same). */
export const BACKGROUND = { r: 255, g: 255, b: 255 } as const

/**
 * RGBA → RGB, compositing onto the white BACKGROUND: out = ⌊(c·a + 255·(255 − a)) / 255⌋.
 * Integer arithmetic with the floor is exactly what libvips' flatten computes for 8-bit input, so
 * the wasm path matches sharp bit for bit, including half-transparent pixels.
 */
export function flattenRgba(rgba: ArrayLike<number>, width: number, height: number): RgbImage {
  const pixels = width * height
  if (rgba.length !== pixels * 4)
    throw new RangeError(`RGBA data has ${rgba.length} bytes, expected ${pixels * 4}`)
  const out = new Uint8Array(pixels * 3)
  for (let i = 0, s = 0, o = 0; i < pixels; i++, s += 4, o += 3) {
    const a = rgba[s + 3]!
    if (a === 255) {
      out[o] = rgba[s]!
      out[o + 1] = rgba[s + 1]!
      out[o + 2] = rgba[s + 2]!
    } else {
      const back = 255 * (255 - a)
      out[o] = Math.floor((rgba[s]! * a + back) / 255)
      out[o + 1] = Math.floor((rgba[s + 1]! * a + back) / 255)
      out[o + 2] = Math.floor((rgba[s + 2]! * a + back) / 255)
    }
  }
  return { width, height, data: out }
}
