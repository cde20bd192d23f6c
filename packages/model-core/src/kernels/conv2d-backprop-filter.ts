/**
 * `Conv2DBackpropFilter` for the wasm backend (which has none): the filter gradient of a 2D convolution.
 *
 * Forward (NHWC, tfjs padding `top`/`left` from `computeConv2DInfo`, dilation 1 as tfjs uses):
 *
 *   y[n, i, j, co] = Σ_{a, b, ci} x[n, i·sh + a − top, j·sw + b − left, ci] · W[a, b, ci, co]
 *
 * so
 *
 *   dW[a, b, ci, co] = Σ_{n, i, j} x[n, i·sh + a − top, j·sw + b − left, ci] · dy[n, i, j, co]
 *
 * Two ways to compute it:
 *
 * - **Whisker's SIMD kernel** (filter-gradient.wat), when Co is a multiple of 8: x is padded so every tap
 *   reads inside it, and each kernel row a is one matrix product over all output pixels, register-blocked
 *   and cache-blocked. This is a product with a huge inner dimension (every pixel of the batch) and two small
 *   outer ones, which XNNPACK has no good formulation for: the convolution below repacks dy, the size of a
 *   layer's activations, on every call and streams it from memory once per tile of its 27 to 576 outputs.
 *   Measured on the seed CNN's three layers at batch 32 (150²): 4.0×, 2.6× and 2.2× faster than that (the
 *   plain module, for engines without relaxed SIMD: 3.0×, 2.3× and 1.7×); 2–3.8× on MobileNetV2's 1×1 layers.
 * - **One forward XNNPACK convolution** otherwise. Read (a, b) as output pixel, (i, j) as kernel tap and n as
 *   the channel being summed, and this is a convolution: input  X' = x transposed to [Ci, H, W, N]  (batch
 *   Ci, channels N), filter F' = dy transposed to [Ho, Wo, N, Co], with the forward stride turned into the
 *   dilation (tap (i, j) reads row i·sh) and the forward dilation into the stride (output row a reads from
 *   row a·dh), padded by `top`/`left` and on the far side by exactly enough to yield kh × kw outputs
 *   (negative means: crop the rows the forward pass never read). The result [Ci, kh, kw, Co] is transposed
 *   to [kh, kw, Ci, Co].
 */

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import {
  conv2dNhwc,
  cropForConv,
  nhwcPad,
  padForTaps,
  pair,
  simdConvTakes,
  tensorOf,
  toNhwc,
  WASM,
} from './shared.ts'
import { filterGradientKernel, heapOffset } from './wasm-simd.ts'

/**
 * Bytes of x and dy rows one cache block of the SIMD kernel covers. Measured on a 1 MiB-L2 core: 128–256 KiB
 * ran the seed CNN's layers fastest, 1 MiB about a quarter slower.
 */
const CACHE_BLOCK_BYTES = 256 * 1024

/**
 * dW through Whisker's SIMD kernel, or undefined where it does not apply (dilation, Co not a multiple of 8,
 * an empty batch, or no SIMD kernel on this backend) and the XNNPACK formulation is used instead.
 */
export function simdConvFilterGradient(
  backend: BackendWasm,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
): tf.Tensor4D | undefined {
  const { inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info
  if (!simdConvTakes(info, x, dy)) return undefined
  const kernel = filterGradientKernel(backend)
  if (kernel === undefined) return undefined
  // The kernel computes 4 window columns m = b·Ci + ci at a time, so it reads up to 3 floats past a row's
  // last window: `extra` padding columns hold them, and their dW rows (mr − kw·Ci of them) are dropped.
  const mr = Math.ceil((kw * ci) / 4) * 4
  const { padded, hp, wp } = padForTaps(x, info, Math.ceil((mr - kw * ci) / ci))
  const out = backend.makeOutput([kh, mr, co], 'float32')
  const dw = tensorOf<tf.Rank.R3>(out)
  ;(backend.typedArrayFromHeap(out) as Float32Array).fill(0)
  const rowBytes = 4 * (wo * co + sh * wp * ci)
  kernel.dfilter(
    heapOffset(backend, padded),
    heapOffset(backend, dy),
    heapOffset(backend, dw),
    x.shape[0] * ho,
    ho,
    wo,
    wp,
    hp,
    ci,
    co,
    kh,
    mr,
    sh,
    sw,
    Math.max(1, Math.floor(CACHE_BLOCK_BYTES / rowBytes)),
  )
  const used = mr === kw * ci ? dw : tf.slice(dw, [0, 0, 0], [kh, kw * ci, co])
  return tf.reshape(used, [kh, kw, ci, co])
}

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

const conv2DBackpropFilter: KernelFunc = ({ inputs, attrs, backend }) =>
  tf.tidy(() => {
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as Conv2DBackpropFilterAttrs
    let x = tensorOf<tf.Rank.R4>(inputs.x!)
    let dy = tensorOf<tf.Rank.R4>(inputs.dy!)
    if (dataFormat === 'NCHW') {
      x = toNhwc(x)
      dy = toNhwc(dy)
    }
    const nhwc = nhwcPad(pad, dataFormat)
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, nhwc, dimRoundingMode)
    return (
      simdConvFilterGradient(backend as BackendWasm, x, dy, info) ??
      convFilterGradient(x, dy, filterShape, strides, nhwc, dimRoundingMode)
    )
  })

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter,
}
