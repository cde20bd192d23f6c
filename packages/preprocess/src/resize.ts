import { type AxisWeights, axisWeights } from './filter.ts'
import type { ResizePolicy, RgbImage } from './types.ts'

/** The source rectangle that becomes the model input, in pixels of the oriented image. */
export interface CropWindow {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/**
 * Which part of a width×height image the policy feeds to the model. `center-crop` takes the centred
 * square of side min(width, height), its offset rounded down to whole pixels; `stretch` takes it all.
 * Exported so a UI can draw exactly what the model will see.
 */
export function modelInputWindow(width: number, height: number, policy: ResizePolicy): CropWindow {
  if (policy.mode === 'stretch') return { x: 0, y: 0, width, height }
  const side = Math.min(width, height)
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side }
}

/**
 * The model's input: size × size × 3 float32, RGB, row-major (HWC), values in [0, 255], NOT
 * normalised (the graph scales pixels itself). Pure TS, no engine-specific maths, so the trainer, the
 * Worker and the browser produce the same numbers from the same RgbImage.
 */
export function toModelInput(img: RgbImage, policy: ResizePolicy): Float32Array {
  assertImage(img)
  if (!Number.isInteger(policy.size) || policy.size < 1)
    throw new RangeError(`bad model input size ${policy.size}`)
  const win = modelInputWindow(img.width, img.height, policy)
  return resample(img, win, policy.size, policy.size)
}

function assertImage(img: RgbImage): void {
  const { width, height, data } = img
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad image size ${width}×${height}`)
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`image data has ${data.length} bytes, expected ${width * height * 3} (RGB)`)
  }
}

/**
 * Separable resampling of `win` to outW × outH: horizontally over the window's rows first (into a
 * float buffer, no rounding in between), then vertically. Weights are precomputed per axis, so the
 * inner loops are multiply-adds over typed arrays with no allocation.
 */
export function resample(img: RgbImage, win: CropWindow, outW: number, outH: number): Float32Array {
  const h = axisWeights(win.x, win.width, outW)
  const v = axisWeights(win.y, win.height, outH)
  const rows = horizontalPass(img, win, h, outW)
  return verticalPass(rows, win, v, outW, outH)
}

/** Resamples rows win.y … win.y + win.height - 1 to width outW. Row r of the result is source row win.y + r. */
function horizontalPass(img: RgbImage, win: CropWindow, h: AxisWeights, outW: number): Float32Array {
  const src = img.data
  const rowStride = img.width * 3
  const out = new Float32Array(win.height * outW * 3)
  const { taps, first, count, weights } = h
  let o = 0
  for (let r = 0; r < win.height; r++) {
    const rowStart = (win.y + r) * rowStride
    for (let x = 0; x < outW; x++) {
      let p = rowStart + first[x]! * 3
      const end = x * taps + count[x]!
      let red = 0
      let green = 0
      let blue = 0
      for (let k = x * taps; k < end; k++) {
        const w = weights[k]!
        red += w * src[p]!
        green += w * src[p + 1]!
        blue += w * src[p + 2]!
        p += 3
      }
      out[o] = red
      out[o + 1] = green
      out[o + 2] = blue
      o += 3
    }
  }
  return out
}

/** Resamples the columns of `rows` to height outH, accumulating whole rows for cache-friendly access. */
function verticalPass(
  rows: Float32Array,
  win: CropWindow,
  v: AxisWeights,
  outW: number,
  outH: number,
): Float32Array {
  const rowLen = outW * 3
  const out = new Float32Array(outH * rowLen)
  const acc = new Float64Array(rowLen)
  const { taps, first, count, weights } = v
  for (let y = 0; y < outH; y++) {
    acc.fill(0)
    const n = count[y]!
    for (let k = 0; k < n; k++) {
      const w = weights[y * taps + k]!
      const base = (first[y]! - win.y + k) * rowLen
      for (let j = 0; j < rowLen; j++) acc[j] = acc[j]! + w * rows[base + j]!
    }
    const outBase = y * rowLen
    // Non-negative weights summing to 1 keep values in range; the clamp only absorbs rounding.
    for (let j = 0; j < rowLen; j++) out[outBase + j] = Math.min(255, Math.max(0, acc[j]!))
  }
  return out
}
