/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (which has none).
 *
 * Forward, channel multiplier M (output channel c·M + m reads input channel c):
 *
 *   y[n, i, j, c·M + m] = Σ_{a, b} x[n, i·sh + a·dh − top, j·sw + b·dw − left, c] · W[a, b, c, m]
 *
 * The input gradient is the transposed-convolution identity of `conv2d-backprop-input.ts` applied channel by
 * channel: spread dy by the stride, flip W by 180°, and run a stride-1 *depthwise* convolution (dilation dh,
 * dw) over all C·M channels of dy with the flipped kernel reshaped to [kh, kw, C·M, 1]. Output channel
 * c·M + m then holds input channel c's share from multiplier m, and summing each group of M neighbouring
 * channels (an innermost-axis reduction) gives dx[…, c]. For M = 1 there is nothing to sum.
 */

import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import { transposedConvolution } from './conv2d-backprop-input.ts'
import { depthwiseNhwc, tensorOf, WASM } from './shared.ts'

const depthwiseBackpropInput: KernelFunc = ({ inputs, attrs }) =>
  tf.tidy(() => {
    const { strides, dilations, pad, dimRoundingMode, inputShape } =
      attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs
    const dy = tensorOf<tf.Rank.R4>(inputs.dy!)
    const filter = tensorOf<tf.Rank.R4>(inputs.filter!)
    const [kh, kw, c, m] = filter.shape
    const shape = inputShape as [number, number, number, number]
    const info = tf.backend_util.computeConv2DInfo(
      shape,
      filter.shape,
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      true,
    )
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, c * m, 1]) as tf.Tensor4D
    const dx = transposedConvolution(dy, flipped, info, dilations ?? 1, (x, f, d, p) =>
      depthwiseNhwc(x, f, [1, 1], d, p),
    )
    if (m === 1) return dx
    const [n, h, w] = shape
    return tf.sum(tf.reshape(dx, [n, h, w, c, m]), 4)
  })

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: WASM,
  kernelFunc: depthwiseBackpropInput,
}
