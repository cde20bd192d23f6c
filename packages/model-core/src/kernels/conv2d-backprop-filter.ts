/**
 * `Conv2DBackpropFilter` for the wasm backend (which has none): the filter gradient of a 2D convolution,
 * computed as one forward XNNPACK convolution.
 *
 * Forward (NHWC, tfjs padding `top`/`left` from `computeConv2DInfo`, dilation 1 as tfjs uses):
 *
 *   y[n, i, j, co] = Σ_{a, b, ci} x[n, i·sh + a − top, j·sw + b − left, ci] · W[a, b, ci, co]
 *
 * so
 *
 *   dW[a, b, ci, co] = Σ_{n, i, j} x[n, i·sh + a − top, j·sw + b − left, ci] · dy[n, i, j, co]
 *
 * Read (a, b) as output pixel, (i, j) as kernel tap and n as the channel being summed, and this is a
 * convolution: input  X' = x transposed to [Ci, H, W, N]  (batch Ci, channels N),
 *            filter F' = dy transposed to [Ho, Wo, N, Co],
 * with the forward stride turned into the dilation (tap (i, j) reads row i·sh) and the forward dilation
 * into the stride (output row a reads from row a·dh), padded by `top`/`left` and on the far side by exactly
 * enough to yield kh × kw outputs (negative means: crop the rows the forward pass never read). The result
 * [Ci, kh, kw, Co] is transposed to [kh, kw, Ci, Co].
 */

import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import { conv2dNhwc, cropForConv, nhwcPad, pair, tensorOf, toNhwc, WASM } from './shared.ts'

/** dW for NHWC x [N, H, W, Ci] and dy [N, Ho, Wo, Co]; `dilations` is 1 for `Conv2DBackpropFilter`. */
export function convFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode: Conv2DBackpropFilterAttrs['dimRoundingMode'],
  dilations: number | [number, number] = 1,
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
  )
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info
  const [sh, sw] = [info.strideHeight, info.strideWidth]
  const [dh, dw] = pair(dilations)
  const { top, left } = info.padInfo
  // Rows the convolution below needs: (kh − 1)·dh + (Ho − 1)·sh + 1, starting `top` rows above x.
  const bottom = (kh - 1) * dh + (ho - 1) * sh + 1 - h - top
  const right = (kw - 1) * dw + (wo - 1) * sw + 1 - w - left
  const xT = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D // [Ci, H, W, N]
  const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D // [Ho, Wo, N, Co]
  const { x: input, pad: explicit } = cropForConv(xT, top, bottom, left, right)
  const out = conv2dNhwc(input, dyT, [dh, dw], [sh, sw], explicit) // [Ci, kh, kw, Co]
  return tf.transpose(out, [1, 2, 0, 3])
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, attrs }) =>
  tf.tidy(() => {
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as Conv2DBackpropFilterAttrs
    let x = tensorOf<tf.Rank.R4>(inputs.x!)
    let dy = tensorOf<tf.Rank.R4>(inputs.dy!)
    if (dataFormat === 'NCHW') {
      x = toNhwc(x)
      dy = toNhwc(dy)
    }
    return convFilterGradient(x, dy, filterShape, strides, nhwcPad(pad, dataFormat), dimRoundingMode)
  })

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter,
}
