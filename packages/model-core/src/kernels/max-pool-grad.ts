/**
 * `MaxPoolGrad` for the wasm backend, replacing the built-in C++ loop, which is both slow (3–4× slower than
 * this on the seed CNN's pooling layers) and wrong: it starts its running maximum at FLT_MIN, the smallest
 * *positive* float, so a window whose maximum is zero or negative (every all-zero window after a ReLU) loses
 * its gradient. (`MaxPoolWithArgmax` has the same starting value, and takes the last of tied maxima, so it
 * cannot stand in either.)
 *
 *   dx[p] = Σ over windows o whose first maximum (row-major window order, as TensorFlow and the cpu
 *           backend break ties) lies at p of dy[o]
 *
 * Taps. Write a window position as tap t = (a, b), 0 ≤ a < fh, 0 ≤ b < fw. The value every window sees at tap
 * t, v_t[o] = x_pad[o·s + (a, b)], is a depthwise convolution of x with a one-hot kernel (1 at (a, b), every
 * channel) and the pool's stride: XNNPACK, exact (1·x plus zeros). x is padded with −FLT_MAX where the pool
 * pads, so a padded tap never wins.
 *
 * First maximum. With y = max-pool(x) (recomputed, XNNPACK), y − v_t ≥ 0 and it is 0 exactly when v_t = y
 * (IEEE subtraction of distinct finite floats is never 0), so ne_t = step(y − v_t) is 0 at a maximum and 1
 * elsewhere. Pass dy along the taps, keeping what has not been claimed yet:
 *
 *   r_0 = dy,  r_{t+1} = r_t · ne_t,  g_t = r_t − r_{t+1}  (t < T − 1),  g_{T−1} = r_{T−1}
 *
 * g_t is dy where tap t is the first maximum and 0 elsewhere, exactly (products with 0 or 1). The last tap
 * gets the remainder, which is non-zero only when no earlier tap is a maximum, i.e. when it is the maximum.
 *
 * Placement. For non-overlapping windows (stride = window, the usual 2×2/2 pooling) the g_t interleave back
 * into the padded input's grid: concatenated along channels and transposed ([N·Ho, Wo, fh, fw·C] →
 * [N·Ho, fh, Wo, fw·C]), a reshape away from [N, Ho·fh, Wo·fw, C]. Otherwise each g_t is spread by the stride
 * (zeros between), shifted by its tap offset and summed, which also adds the shares of overlapping windows.
 * Finally the padding rows are cropped and rows no window read are zero.
 */

import type { KernelFunc, MaxPoolGradAttrs } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import { depthwiseNhwc, padOrCrop, type Replacement, tensorOf, zeroInsert } from './shared.ts'

const LOWEST = -3.4028234663852886e38 // −FLT_MAX: a finite value below any other, so 0 × it stays 0

/** [fh, fw, C, 1], 1 at tap (a, b) for every channel: picks tap t = a·fw + b in a depthwise convolution. */
function oneHotKernel(fh: number, fw: number, channels: number, tap: number): tf.Tensor4D {
  // The wasm OneHot kernel writes int32 bits when asked for float32 (4.22), so build in int32 and cast.
  const hot = tf.cast(tf.oneHot(tf.tensor1d([tap], 'int32'), fh * fw), 'float32')
  return tf.tile(tf.reshape(hot, [fh, fw, 1, 1]), [1, 1, channels, 1])
}

export function maxPoolGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterSize: MaxPoolGradAttrs['filterSize'],
  strides: MaxPoolGradAttrs['strides'],
  pad: MaxPoolGradAttrs['pad'],
  dimRoundingMode: MaxPoolGradAttrs['dimRoundingMode'],
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode)
  const [n, h, w, c] = x.shape
  const { outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw } = info
  const { strideHeight: sh, strideWidth: sw } = info
  const { top, left } = info.padInfo
  // The padded grid the windows tile: rows [−top, (Ho − 1)·sh + fh − top) of x.
  const rows = (ho - 1) * sh + fh
  const cols = (wo - 1) * sw + fw
  const bottom = rows - top - h
  const right = cols - left - w
  // Extra rows past the last window are left in place (a 'valid' convolution skips them) rather than copied away.
  const grid = padOrCrop(x, top, Math.max(bottom, 0), left, Math.max(right, 0), LOWEST)
  const y = tf.maxPool(grid, [fh, fw], [sh, sw], 'valid')
  const taps = fh * fw
  const g: tf.Tensor4D[] = []
  let remaining = dy
  for (let t = 0; t < taps - 1; t++) {
    const v = depthwiseNhwc(grid, oneHotKernel(fh, fw, c, t), [sh, sw], [1, 1], 'valid')
    const notMax = tf.step(tf.sub(y, v))
    const next = tf.mul(remaining, notMax) as tf.Tensor4D
    g.push(tf.sub(remaining, next))
    remaining = next
  }
  g.push(remaining)

  if (sh === fh && sw === fw) {
    const blocks = tf.reshape(tf.concat(g, 3), [n * ho, wo, fh, fw * c])
    const placed = tf.reshape(tf.transpose(blocks, [0, 2, 1, 3]), [n, rows, cols, c]) as tf.Tensor4D
    return padOrCrop(placed, -top, -bottom, -left, -right)
  }
  let dx: tf.Tensor4D | undefined
  for (let t = 0; t < taps; t++) {
    const [a, b] = [Math.floor(t / fw), t % fw]
    const spread = zeroInsert(g[t]!, sh, sw) // row i·sh holds window row i; grid row i·sh + a is x row i·sh + a − top
    const shifted = padOrCrop(spread, a - top, h - (a - top) - ho * sh, b - left, w - (b - left) - wo * sw)
    dx = dx === undefined ? shifted : tf.add(dx, shifted)
  }
  return dx!
}

export const maxPoolGrad: Replacement = {
  kernelName: 'MaxPoolGrad',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs
      if (args.inputs.input!.dtype !== 'float32') return fallback(args)
      return tf.tidy(() =>
        maxPoolGradient(
          tensorOf<tf.Rank.R4>(args.inputs.input!),
          tensorOf<tf.Rank.R4>(args.inputs.dy!),
          filterSize,
          strides,
          pad,
          dimRoundingMode,
        ),
      )
    },
}
