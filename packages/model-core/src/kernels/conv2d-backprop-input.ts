/**
 * `Conv2DBackpropInput` for the wasm backend, replacing its hand-written C++ loop (about 10× slower than
 * XNNPACK on the seed CNN's layers) with one forward XNNPACK convolution.
 *
 * Forward: y[n, i, j, co] = Σ_{a, b, ci} x[n, i·sh + a·dh − top, j·sw + b·dw − left, ci] · W[a, b, ci, co]
 *
 *   dx[n, p, q, ci] = Σ over (i, a) with i·sh + a·dh − top = p (and likewise q) of dy[n, i, j, co] · W[a, b, ci, co]
 *
 * Spread dy by the stride, up[i·sh] = dy[i] with zeros between (nothing to do for stride 1), and flip the
 * kernel, Wf[a'] = W[kh − 1 − a'] with ci and co swapped. Substituting a = kh − 1 − a':
 *
 *   dx[p] = Σ_{a'} up[p − (kh_eff − 1 − top) + a'·dh] · Wf[a']      (kh_eff = (kh − 1)·dh + 1)
 *
 * which is a stride-1 convolution of `up` with Wf, dilation dh, padded by kh_eff − 1 − top before and by
 * whatever makes the output exactly H rows after (cropping instead where that is negative). The same
 * identity, with a depthwise convolution, gives `DepthwiseConv2dNativeBackpropInput`.
 */

import type { backend_util, Conv2DBackpropInputAttrs, KernelFunc } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import {
  conv2dNhwc,
  cropForConv,
  type ExplicitPads,
  pair,
  type Replacement,
  tensorOf,
  zeroInsert,
} from './shared.ts'

type Conv = (
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  dilations: [number, number],
  pad: ExplicitPads,
) => tf.Tensor4D

/**
 * dx as a stride-1 convolution of the stride-spread `dy` with an already flipped filter; `conv` is the
 * regular or the depthwise XNNPACK convolution. `info` describes the forward convolution.
 */
export function transposedConvolution(
  dy: tf.Tensor4D,
  flipped: tf.Tensor4D,
  info: backend_util.Conv2DInfo,
  dilations: number | [number, number],
  conv: Conv,
): tf.Tensor4D {
  const { inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw } = info
  const { outHeight: ho, outWidth: wo, effectiveFilterHeight: kh, effectiveFilterWidth: kw } = info
  const { top, left } = info.padInfo
  const up = zeroInsert(dy, sh, sw) // Ho·sh rows: dy rows, each followed by sh − 1 zero rows
  const before = [kh - 1 - top, kw - 1 - left] as const
  // Output rows = Ho·sh + before + after − kh + 1 must equal H.
  const after = [h + top - ho * sh, w + left - wo * sw] as const
  const { x, pad } = cropForConv(up, before[0], after[0], before[1], after[1])
  return conv(x, flipped, pair(dilations), pad)
}

/** W [kh, kw, Ci, Co] → rotated by 180° and with the channel axes swapped: [kh, kw, Co, Ci]. */
export const flipFilter = (filter: tf.Tensor4D): tf.Tensor4D =>
  tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2])

export const conv2DBackpropInput: Replacement = {
  kernelName: 'Conv2DBackpropInput',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
        args.attrs as unknown as Conv2DBackpropInputAttrs
      // XNNPACK is NHWC-only; the built-in kernel handles NCHW.
      if (dataFormat === 'NCHW') return fallback(args)
      return tf.tidy(() => {
        const dy = tensorOf<tf.Rank.R4>(args.inputs.dy!)
        const filter = tensorOf<tf.Rank.R4>(args.inputs.filter!)
        const info = tf.backend_util.computeConv2DInfo(
          inputShape,
          filter.shape,
          strides,
          1,
          pad,
          dimRoundingMode,
        )
        return transposedConvolution(dy, flipFilter(filter), info, 1, (x, f, d, p) =>
          conv2dNhwc(x, f, [1, 1], d, p),
        )
      })
    },
}
