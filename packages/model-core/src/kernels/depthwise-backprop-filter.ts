/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (which has none), as one XNNPACK depthwise
 * convolution.
 *
 *   dW[a, b, c, m] = Σ_{n, i, j} x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] · dy[n, i, j, c·M + m]
 *
 * A depthwise convolution sums over the kernel taps of one channel only, so the batch cannot be a summed
 * channel axis as in `conv2d-backprop-filter.ts`; it goes into the *spatial* axis instead, with no transpose:
 *
 * - each image of x, padded (`top`/`left`) and cropped to the R = (Ho − 1)·sh + (kh − 1)·dh + 1 rows the
 *   forward pass read, is given P rows (R rounded up to a multiple of sh, zeros below), and the N images are
 *   stacked into one tall image X [1, N·P, Rw, C];
 * - dy gets P / sh rows per image (zeros below) and is stacked the same way into a tall filter
 *   F [(N − 1)·P/sh + Ho, Wo, C, M] (the last image's trailing zero rows dropped);
 * - a depthwise convolution of X with F, stride (dh, dw) and dilation (sh, sw), yields
 *   out[a, b, c·M + m] = Σ_{n, i, j} X[n·P + a·dh + i·sh, b·dw + j·sw, c] · dy[n, i, j, c·M + m],
 *   because filter row n·P/sh + i lands on X row n·P + a·dh + i·sh, which lies in image n (a·dh + i·sh < R ≤ P):
 *   images never mix, and the zero rows contribute nothing.
 *
 * The first kh × kw outputs, reshaped to [kh, kw, C, M], are dW.
 */

import type {
  DepthwiseConv2dNativeBackpropFilterAttrs,
  KernelConfig,
  KernelFunc,
} from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import { depthwiseNhwc, padOrCrop, pair, tensorOf, WASM } from './shared.ts'

const depthwiseBackpropFilter: KernelFunc = ({ inputs, attrs }) =>
  tf.tidy(() => {
    const { strides, dilations, pad, dimRoundingMode, filterShape } =
      attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs
    const x = tensorOf<tf.Rank.R4>(inputs.x!)
    const dy = tensorOf<tf.Rank.R4>(inputs.dy!)
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filterShape,
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      true,
    )
    const [n, h, w, c] = x.shape
    const [kh, kw, , m] = filterShape
    const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info
    const [dh, dw] = pair(dilations)
    const { top, left } = info.padInfo
    const rows = (ho - 1) * sh + (kh - 1) * dh + 1
    const cols = (wo - 1) * sw + (kw - 1) * dw + 1
    const period = Math.ceil(rows / sh) * sh
    const stackedX = tf.reshape(padOrCrop(x, top, period - top - h, left, cols - left - w), [
      1,
      n * period,
      cols,
      c,
    ]) as tf.Tensor4D
    const q = period / sh
    const dyRows =
      q === ho
        ? dy
        : tf.pad(dy, [
            [0, 0],
            [0, q - ho],
            [0, 0],
            [0, 0],
          ])
    const tall = (n - 1) * q + ho
    let filter = tf.reshape(dyRows, [n * q, wo, c, m]) as tf.Tensor4D
    if (tall < n * q) filter = tf.slice(filter, [0, 0, 0, 0], [tall, wo, c, m])
    const out = depthwiseNhwc(stackedX, filter, [dh, dw], [sh, sw], 'valid') // [1, ≥ kh, kw, C·M]
    const first = out.shape[1] === kh ? out : tf.slice(out, [0, 0, 0, 0], [1, kh, kw, c * m])
    return tf.reshape(first, [kh, kw, c, m])
  })

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: WASM,
  kernelFunc: depthwiseBackpropFilter,
}
