import { describe, expect, it } from 'vitest'
import { seededRandom } from './random.ts'
import { modelInputWindow, resample, toModelInput } from './resize.ts'
import { pattern } from './test-support/images.ts'
import type { ResizePolicy, RgbImage } from './types.ts'

const crop = (size: number): ResizePolicy => ({ mode: 'center-crop', size, filter: 'bilinear' })
const stretch = (size: number): ResizePolicy => ({ mode: 'stretch', size, filter: 'bilinear' })

function image(
  width: number,
  height: number,
  rgb: (x: number, y: number) => [number, number, number],
): RgbImage {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgb(x, y), (y * width + x) * 3)
  return { width, height, data }
}
const channel = (t: Float32Array, c: number) => [...t].filter((_, i) => i % 3 === c)

describe('toModelInput', () => {
  it('returns size × size × 3 float32 RGB (HWC) in [0, 255], not normalised', () => {
    const out = toModelInput(pattern(320, 240), crop(224))
    expect(out).toBeInstanceOf(Float32Array)
    expect(out.length).toBe(224 * 224 * 3)
    const [min, max] = out.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [255, 0])
    expect(min).toBeGreaterThanOrEqual(0)
    expect(max).toBeLessThanOrEqual(255)
    expect(max).toBeGreaterThan(200) // values are pixels, not [0, 1]
  })

  it('passes pixels through unchanged when no resizing is needed', () => {
    const img = pattern(32, 32)
    expect([...toModelInput(img, stretch(32))]).toEqual([...img.data])
    expect([...toModelInput(img, crop(32))]).toEqual([...img.data])
  })

  it('keeps a flat colour flat at any scale', () => {
    const flat = image(517, 311, () => [200, 10, 0])
    for (const size of [7, 64, 224, 600]) {
      const out = toModelInput(flat, crop(size))
      let worst = 0
      for (let i = 0; i < out.length; i += 3) {
        worst = Math.max(worst, Math.abs(out[i]! - 200), Math.abs(out[i + 1]! - 10), Math.abs(out[i + 2]!))
      }
      expect(worst, `size ${size}`).toBeLessThan(1e-3)
    }
  })

  describe('center-crop', () => {
    // 300×100: a red, a green and a blue square side by side.
    const bands = image(300, 100, (x) => (x < 100 ? [255, 0, 0] : x < 200 ? [0, 255, 0] : [0, 0, 255]))

    it('feeds only the centred square of side min(width, height) to the model', () => {
      const out = toModelInput(bands, crop(50))
      expect(new Set(channel(out, 1))).toEqual(new Set([255]))
      expect(new Set([...channel(out, 0), ...channel(out, 2)])).toEqual(new Set([0]))
    })

    it('rounds the crop offset down when the margin is odd', () => {
      expect(modelInputWindow(301, 100, crop(224))).toEqual({ x: 100, y: 0, width: 100, height: 100 })
      expect(modelInputWindow(100, 301, crop(224))).toEqual({ x: 0, y: 100, width: 100, height: 100 })
      expect(modelInputWindow(64, 64, crop(224))).toEqual({ x: 0, y: 0, width: 64, height: 64 })
    })
  })

  describe('stretch', () => {
    it('scales each axis independently and keeps the whole picture', () => {
      const bands = image(300, 100, (x) => (x < 100 ? [255, 0, 0] : x < 200 ? [0, 255, 0] : [0, 0, 255]))
      expect(modelInputWindow(300, 100, stretch(224))).toEqual({ x: 0, y: 0, width: 300, height: 100 })
      const out = toModelInput(bands, stretch(30))
      expect(out[0]).toBe(255) // top-left is red
      expect(out[(30 * 30 - 1) * 3 + 2]).toBe(255) // bottom-right is blue
    })
  })

  describe('the filter', () => {
    const row = (values: number[]) => image(values.length, 1, (x) => [values[x]!, 0, 0])

    it('upscales as bilinear interpolation with half-pixel centres, clamped at the edges', () => {
      // Output centres fall at 0.25, 0.75, 1.25, 1.75 in source pixels; source centres at 0.5, 1.5.
      const out = resample(row([0, 100]), { x: 0, y: 0, width: 2, height: 1 }, 4, 1)
      expect(channel(out, 0)).toEqual([0, 25, 75, 100])
    })

    it('downscales with a triangle widened by the ratio (Pillow BILINEAR), not by point sampling', () => {
      // Halving: each output averages 3 source pixels weighted 3/7, 3/7, 1/7 (Pillow gives 7 and 23).
      const out = resample(row([0, 10, 20, 30]), { x: 0, y: 0, width: 4, height: 1 }, 2, 1)
      expect(channel(out, 0)[0]).toBeCloseTo(50 / 7, 4)
      expect(channel(out, 0)[1]).toBeCloseTo(40 / 1.75, 4)
    })

    it('does not alias: fine stripes shrunk 100× become their average grey', () => {
      // One column in 7 is white... three of them: the mean is 255 × 3/7. Point sampling would see 0 or 255.
      const stripes = image(1000, 1000, (x) => (x % 7 < 3 ? [255, 255, 255] : [0, 0, 0]))
      const out = toModelInput(stripes, crop(10))
      const worst = out.reduce((w, v) => Math.max(w, Math.abs(v - (255 * 3) / 7)), 0)
      expect(worst).toBeLessThan(3)
    })

    it('equals the direct two-dimensional definition on random images, crops and ratios', () => {
      const random = seededRandom(7)
      for (let trial = 0; trial < 12; trial++) {
        const width = 5 + Math.floor(random() * 80)
        const height = 5 + Math.floor(random() * 80)
        const noise = image(
          width,
          height,
          () => [random() * 256, random() * 256, random() * 256].map(Math.floor) as [number, number, number],
        )
        const size = 1 + Math.floor(random() * 40)
        const policy = random() < 0.5 ? crop(size) : stretch(size)
        const ours = toModelInput(noise, policy)
        const reference = directResize(noise, modelInputWindow(width, height, policy), size)
        const worst = ours.reduce((w, v, i) => Math.max(w, Math.abs(v - reference[i]!)), 0)
        expect(worst, `${width}×${height} → ${size} ${policy.mode}`).toBeLessThan(1e-3)
      }
    })
  })

  it('is deterministic and leaves its input untouched', () => {
    const img = pattern(640, 480)
    const before = img.data.slice()
    const first = toModelInput(img, crop(224))
    const second = toModelInput(img, crop(224))
    expect(Buffer.from(first.buffer).equals(Buffer.from(second.buffer))).toBe(true)
    expect(img.data).toEqual(before)
  })

  it('refuses malformed images and sizes with a RangeError (programming errors, not image errors)', () => {
    const img = pattern(8, 8)
    expect(() => toModelInput(img, crop(0))).toThrow(RangeError)
    expect(() => toModelInput(img, crop(2.5))).toThrow(RangeError)
    expect(() => toModelInput({ ...img, height: 9 }, crop(4))).toThrow(RangeError)
    expect(() => toModelInput({ width: 0, height: 0, data: new Uint8Array() }, crop(4))).toThrow(RangeError)
  })
})

/**
 * The definition, written the slow way: every output pixel is the normalised sum over the whole crop
 * window of triangle(dx / sx) · triangle(dy / sy) · pixel, with sx, sy = max(1, window / size).
 */
function directResize(
  img: RgbImage,
  win: { x: number; y: number; width: number; height: number },
  size: number,
) {
  const tri = (t: number) => Math.max(0, 1 - Math.abs(t))
  const sx = win.width / size
  const sy = win.height / size
  const fx = Math.max(1, sx)
  const fy = Math.max(1, sy)
  const out = new Float64Array(size * size * 3)
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const cx = (i + 0.5) * sx
      const cy = (j + 0.5) * sy
      let total = 0
      const acc = [0, 0, 0]
      for (let y = 0; y < win.height; y++) {
        const wy = tri((y + 0.5 - cy) / fy)
        if (wy === 0) continue
        for (let x = 0; x < win.width; x++) {
          const w = wy * tri((x + 0.5 - cx) / fx)
          if (w === 0) continue
          const p = ((win.y + y) * img.width + win.x + x) * 3
          for (let c = 0; c < 3; c++) acc[c]! += w * img.data[p + c]!
          total += w
        }
      }
      for (let c = 0; c < 3; c++) out[(j * size + i) * 3 + c] = acc[c]! / total
    }
  }
  return out
}
