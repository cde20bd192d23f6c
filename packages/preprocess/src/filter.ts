/**
 * Resampling weights for one axis, Pillow-style: a triangle (bilinear) kernel whose support widens
 * with the downscale ratio. Upscaling (ratio ≤ 1) gives exactly bilinear interpolation with half-pixel
 * centres; downscaling by r averages over about 2r source pixels, so a 4000-pixel photo shrunk to 224
 * does not alias. Weights are computed in doubles and normalised per output pixel, so edges (where the
 * kernel is cut off) stay unbiased, which is the same as clamping to the edge for plain bilinear.
 */
export interface AxisWeights {
  /** Taps per output pixel (the stride of `weights`). */
  readonly taps: number
  /** First source index read by each output pixel, absolute in the source image. */
  readonly first: Int32Array
  /** How many taps each output pixel really uses (≤ taps; fewer at the edges). */
  readonly count: Int32Array
  /** `taps` weights per output pixel, summing to 1; unused trailing slots are 0. */
  readonly weights: Float64Array
}

/** The triangle kernel: 1 at the centre, 0 at distance ≥ 1. */
function triangle(x: number): number {
  const a = Math.abs(x)
  return a < 1 ? 1 - a : 0
}

/**
 * Weights to resample the source span [offset, offset + length) to `outSize` pixels. The span is
 * where a crop lives: taps never read outside it, exactly as if the crop had been copied out first.
 */
export function axisWeights(offset: number, length: number, outSize: number): AxisWeights {
  const scale = length / outSize
  const filterScale = Math.max(scale, 1)
  const support = filterScale // the triangle's radius is 1, stretched by the ratio when shrinking
  const taps = Math.ceil(support) * 2 + 1
  const first = new Int32Array(outSize)
  const count = new Int32Array(outSize)
  const weights = new Float64Array(outSize * taps)
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale // half-pixel centres: output pixel i covers [i, i+1) · scale
    const lo = Math.max(0, Math.floor(centre - support + 0.5))
    const hi = Math.min(length, Math.floor(centre + support + 0.5))
    let sum = 0
    for (let x = lo; x < hi; x++) {
      const w = triangle((x + 0.5 - centre) / filterScale)
      weights[i * taps + (x - lo)] = w
      sum += w
    }
    for (let k = i * taps; k < i * taps + (hi - lo); k++) weights[k] = weights[k]! / sum
    first[i] = offset + lo
    count[i] = hi - lo
  }
  return { taps, first, count, weights }
}
