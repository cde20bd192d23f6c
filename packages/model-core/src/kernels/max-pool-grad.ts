/**
 * `MaxPoolGrad` for the wasm backend, replacing the built-in C++ loop, which is wrong: it starts its running
 * maximum at FLT_MIN, the smallest *positive* float, so a window whose maximum is zero or negative (every
 * all-zero window after a ReLU) loses its gradient. (`MaxPoolWithArgmax` has the same starting value, and
 * takes the last of tied maxima, so it cannot stand in either.)
 *
 *   dx[p] = Σ over windows o whose first maximum (row-major window order, as TensorFlow and the cpu
 *           backend break ties) lies at p of dy[o]
 *
 * One pass in JS over the backend's own heap: per window, each tap in row-major order, keeping for every
 * channel the first position of the largest value (a strict `>`, so the first of tied maxima wins; taps in
 * the padding are skipped, as a −∞ pad would be), then dy is added there (overlapping windows add up).
 *
 * Why by hand: an earlier version composed the gradient from XNNPACK ops (a depthwise convolution per tap,
 * first-maximum masks by elementwise products, a channel concat and a transpose to place the taps). It was
 * exact but spent 290 ms of a 1.09 s seed-CNN step on the 150×150×32 pooling layer, 225 ms of it in tfjs's
 * concat, which copies 32-float pieces through JS. This pass reads each input value once and writes each
 * output once, in place, and needs no intermediate tensors. The usual 2×2/2 pool with channels in fours goes
 * to Whisker's SIMD kernel (max-pool-grad.wat), the same rule four channels at a time.
 */

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import type { KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import type { Replacement } from './shared.ts'
import { heapOffset, maxPoolGradKernel } from './wasm-simd.ts'

/** dx for `x` ([N, H, W, C], float32) given dy of the pool's output, written into `dx` (zeros on entry). */
export function maxPoolGradInto(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  shape: readonly [number, number, number, number],
  info: tf.backend_util.Conv2DInfo,
): void {
  const [n, h, w, c] = shape
  const { outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw } = info
  const { strideHeight: sh, strideWidth: sw } = info
  const { top, left } = info.padInfo
  if (isTilesOfTwo(info, h, w)) {
    tilesOfTwo(x, dy, dx, shape, ho, wo)
    return
  }
  const best = new Float32Array(c)
  const at = new Int32Array(c)
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      const rowEnd = Math.min(i * sh - top + fh, h)
      for (let j = 0; j < wo; j++) {
        const colEnd = Math.min(j * sw - left + fw, w)
        at.fill(-1) // no tap yet: the first valid one sets `best`, whatever its value
        for (let r = Math.max(i * sh - top, 0); r < rowEnd; r++) {
          for (let q = Math.max(j * sw - left, 0); q < colEnd; q++) {
            const base = ((b * h + r) * w + q) * c
            for (let k = 0; k < c; k++) {
              const v = x[base + k]!
              if (v > best[k]! || at[k] === -1) {
                best[k] = v
                at[k] = base + k
              }
            }
          }
        }
        const o = ((b * ho + i) * wo + j) * c
        for (let k = 0; k < c; k++) if (at[k]! >= 0) dx[at[k]!]! += dy[o + k]!
      }
    }
  }
}

/** The usual 2×2 pool with stride 2 and no padding (every window inside the input). */
function isTilesOfTwo(info: tf.backend_util.Conv2DInfo, h: number, w: number): boolean {
  const { outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw } = info
  const { strideHeight: sh, strideWidth: sw } = info
  const { top, left } = info.padInfo
  return fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * ho <= h && 2 * wo <= w
}

/**
 * The usual 2×2/2 pooling without padding, unrolled: the four taps of a window compared in row-major order,
 * dy written to the first maximum. Rows or columns past the last window keep their zeros.
 */
function tilesOfTwo(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  shape: readonly [number, number, number, number],
  ho: number,
  wo: number,
): void {
  const [n, h, w, c] = shape
  const down = w * c
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      let p = (b * h + 2 * i) * w * c
      let o = (b * ho + i) * wo * c
      for (let j = 0; j < wo; j++, p += 2 * c) {
        for (let k = 0; k < c; k++, o++) {
          const p00 = p + k
          const p01 = p00 + c
          const p10 = p00 + down
          const p11 = p10 + c
          let at = p00
          let max = x[p00]!
          if (x[p01]! > max) {
            at = p01
            max = x[p01]!
          }
          if (x[p10]! > max) {
            at = p10
            max = x[p10]!
          }
          if (x[p11]! > max) at = p11
          dx[at] = dy[o]!
        }
      }
    }
  }
}

/**
 * The 2×2/2 case through Whisker's SIMD kernel (max-pool-grad.wat), four channels at a time: false where it
 * does not apply (another pool, channels not a multiple of 4, no SIMD kernel on this backend). Measured on
 * the seed CNN’s first pool (batch 32, 150×150×32, tf.profile of a training step): 9.7 ms against 77 ms for
 * tilesOfTwo.
 */
function simdTilesOfTwo(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  dx: TensorInfo,
  shape: readonly [number, number, number, number],
  info: tf.backend_util.Conv2DInfo,
): boolean {
  const [n, h, w, c] = shape
  const { outHeight: ho, outWidth: wo } = info
  if (!isTilesOfTwo(info, h, w) || c % 4 !== 0 || n * ho * wo === 0) return false
  const kernel = maxPoolGradKernel(backend)
  if (kernel === undefined) return false
  // The kernel writes every tap of every window; only rows and columns past the last window need zeros.
  if (2 * ho < h || 2 * wo < w) (backend.typedArrayFromHeap(dx) as Float32Array).fill(0)
  const at = (t: TensorInfo) => heapOffset(backend, t)
  kernel.maxpool2grad(at(x), at(dy), at(dx), n, h, w, c, ho, wo)
  return true
}

export const maxPoolGrad: Replacement = {
  kernelName: 'MaxPoolGrad',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs
      const x = args.inputs.input!
      const dy = args.inputs.dy!
      if (x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args)
      const backend = args.backend as BackendWasm
      const shape = x.shape as [number, number, number, number]
      const info = tf.backend_util.computePool2DInfo(shape, filterSize, strides, 1, pad, dimRoundingMode)
      const out: TensorInfo = backend.makeOutput([...shape], 'float32')
      if (simdTilesOfTwo(backend, x, dy, out, shape, info)) return out
      // Views of the wasm heap, taken after the only allocation (a growing heap would detach them).
      const dx = backend.typedArrayFromHeap(out) as Float32Array
      dx.fill(0)
      maxPoolGradInto(
        backend.typedArrayFromHeap(x) as Float32Array,
        backend.typedArrayFromHeap(dy) as Float32Array,
        dx,
        shape,
        info,
      )
      return out
    },
}
