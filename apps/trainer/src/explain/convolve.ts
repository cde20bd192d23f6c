import type { RgbImage } from '@whisker/preprocess'
import type { Kernel } from './kernels.ts'

/** A one-channel picture of float values, row-major, top row first. */
export interface GrayImage {
  readonly width: number
  readonly height: number
  readonly data: Float32Array
}

/** Luma as ITU-R BT.601 weighs it (what PIL's "L" mode and OpenCV's grey conversion compute), 0–255. */
export function toGray(image: RgbImage): GrayImage {
  const data = new Float32Array(image.width * image.height)
  for (let i = 0; i < data.length; i++) {
    data[i] = 0.299 * image.data[i * 3]! + 0.587 * image.data[i * 3 + 1]! + 0.114 * image.data[i * 3 + 2]!
  }
  return { width: image.width, height: image.height, data }
}

/**
 * 2-D convolution as a convolution layer computes it: the kernel slides over the picture unflipped (a
 * cross-correlation) and each output pixel is the weighted sum of the pixels under it. `same` padding,
 * also as in TensorFlow: the output is as large as the input, missing neighbours at the border count as
 * 0, and an even-sized kernel has one more row and column after its anchor than before it.
 */
export function convolve(image: GrayImage, kernel: Kernel): GrayImage {
  const kh = kernel.length
  const kw = kernel[0]!.length
  const top = Math.floor((kh - 1) / 2)
  const left = Math.floor((kw - 1) / 2)
  const { width, height, data } = image
  const out = new Float32Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0
      for (let i = 0; i < kh; i++) {
        const sy = y + i - top
        if (sy < 0 || sy >= height) continue
        const row = kernel[i]!
        for (let j = 0; j < kw; j++) {
          const sx = x + j - left
          if (sx >= 0 && sx < width) sum += row[j]! * data[sy * width + sx]!
        }
      }
      out[y * width + x] = sum
    }
  }
  return { width, height, data: out }
}

/**
 * A convolution's output as 8-bit grey for people to look at. Kernels whose weights sum to 0 (Sobel,
 * Laplacian) answer with signed edge strengths around 0: shown as |value|, the strongest white. Others
 * (blurs, sharpen) keep the picture's brightness: clamped to 0–255.
 */
export function toDisplay(result: GrayImage, kernel: Kernel): Uint8Array {
  const sum = kernel.flat().reduce((a, b) => a + b, 0)
  const out = new Uint8Array(result.data.length)
  if (Math.abs(sum) < 1e-6) {
    let peak = 0
    for (const v of result.data) peak = Math.max(peak, Math.abs(v))
    const scale = peak > 0 ? 255 / peak : 0
    for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.abs(result.data[i]!) * scale)
  } else {
    for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(255, Math.max(0, result.data[i]!)))
  }
  return out
}
