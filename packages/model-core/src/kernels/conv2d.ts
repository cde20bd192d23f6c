/**
 * `Conv2D` for the wasm backend through Whisker's SIMD kernel (conv2d.wat) where it is faster than the
 * built-in (XNNPACK): NHWC, float32, a spatial kernel at stride 1 without dilation, at least 32 input channels,
 * output channels a multiple of 8. That is every convolution of a seed-CNN training step but the first layer's
 * forward pass, and (through Conv2DBackpropInput, itself such a convolution) their input gradients.
 *
 * Why by hand, when XNNPACK is a tuned library: tfjs-backend-wasm 4.22's XNNPACK build has no relaxed SIMD,
 * so each multiply-add is two instructions; the kernel's fused twin does it in one. Measured at batch 32
 * (wall time, median of 7): 3×3 convolutions of 32–64 channels on 75² and 37² maps ran 1.35–1.65× faster
 * (39–41 GFLOP/s). The rest stays with XNNPACK, where the kernel measured no faster or slower: 3 input
 * channels (1.14×, with its pad copy), 1×1 convolutions of hundreds of channels (0.68–0.88×: a tile re-reads
 * too much of x), and strided ones (a stride-2 first layer: 0.87× at batch 32, 0.44× at batch 1).
 */

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import type { Conv2DAttrs, KernelFunc } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import { padForTaps, type Replacement, simdConvTakes, tensorOf } from './shared.ts'
import { conv2dKernel, heapOffset } from './wasm-simd.ts'

/** The fewest input channels the kernel takes: measured faster from 32 up, barely at 3. */
const MIN_IN_CHANNELS = 32

/** y through the SIMD kernel, or undefined where it does not apply and the built-in runs instead. */
export function simdConv2d(
  backend: BackendWasm,
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
): tf.Tensor4D | undefined {
  const { inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info
  const spatial = kh * kw > 1 && sh === 1 && sw === 1 && ci >= MIN_IN_CHANNELS
  if (!spatial || !simdConvTakes(info, x, filter)) return undefined
  const kernel = conv2dKernel(backend)
  if (kernel === undefined) return undefined
  const { padded, hp, wp } = padForTaps(x, info)
  const out = tensorOf<tf.Rank.R4>(backend.makeOutput([x.shape[0], ho, wo, co], 'float32'))
  const at = (t: { dataId: object }) => heapOffset(backend, t)
  kernel.conv2d(at(padded), at(filter), at(out), x.shape[0] * ho, ho, wo, hp, wp, ci, co, kh, kw, sh, sw)
  return out
}

export const conv2d: Replacement = {
  kernelName: 'Conv2D',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as Conv2DAttrs
      const x = args.inputs.x!
      const filter = args.inputs.filter!
      if (dataFormat === 'NCHW') return fallback(args)
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        strides,
        dilations,
        pad,
        dimRoundingMode,
      )
      const y = tf.tidy(() => simdConv2d(args.backend as BackendWasm, tensorOf(x), tensorOf(filter), info))
      return y ?? fallback(args)
    },
}
