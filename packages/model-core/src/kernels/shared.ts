/**
 * Building blocks shared by the wasm training kernels: the ops they compose (XNNPACK convolution and
 * fully-connected, transpose, pad, reshape, …) called as kernels, padding helpers and the Replacement shape.
 * Whisker's own SIMD kernels, for what no composition does fast, are bound in wasm-simd.ts.
 */

import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'

export const WASM = 'wasm'

/** Explicit NHWC padding as tfjs ops take it: `[[0, 0], [top, bottom], [left, right], [0, 0]]`. */
export type ExplicitPads = [[number, number], [number, number], [number, number], [number, number]]

/**
 * A kernel input as a Tensor, so that ops can consume it. Inputs are Tensors when a kernel runs through an op;
 * a bare TensorInfo (another kernel calling this one) is wrapped in a new Tensor on the same data, which the
 * surrounding `tf.tidy` disposes without touching the data.
 */
export function tensorOf<R extends tf.Rank>(info: TensorInfo): tf.Tensor<R> {
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as tf.Tensor<R>
}

/** The 'NHWC' layout every kernel computes in (XNNPACK's); 'NCHW' inputs are transposed to it. */
export const toNhwc = (t: tf.Tensor4D): tf.Tensor4D => tf.transpose(t, [0, 2, 3, 1])

/** A tfjs padding attribute re-expressed for NHWC (explicit 'NCHW' pads list H and W third and fourth). */
export function nhwcPad<P>(pad: P, dataFormat: 'NHWC' | 'NCHW' | undefined): P {
  if (dataFormat !== 'NCHW' || !Array.isArray(pad)) return pad
  return [[0, 0], pad[2], pad[3], [0, 0]] as P
}

/**
 * Signed spatial padding: a positive amount pads with zeros, a negative one crops that many rows or columns.
 * Returns the cropped tensor and the non-negative pads left for a convolution to apply (XNNPACK pads
 * internally, so a convolution's zeros are never written to memory).
 */
export function cropForConv(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { x: tf.Tensor4D; pad: ExplicitPads } {
  const [n, h, w, c] = x.shape
  const [ct, cb, cl, cr] = [top, bottom, left, right].map((p) => Math.max(0, -p)) as [
    number,
    number,
    number,
    number,
  ]
  const cropped = ct + cb + cl + cr === 0 ? x : tf.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c])
  const pad: ExplicitPads = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ]
  return { x: cropped, pad }
}

/** Like `cropForConv`, but the padding (zeros, or `value`) is materialized. */
export function padOrCrop(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
  value = 0,
): tf.Tensor4D {
  const { x: cropped, pad } = cropForConv(x, top, bottom, left, right)
  return pad.every(([a, b]) => a === 0 && b === 0) ? cropped : tf.pad(cropped, pad, value)
}

/**
 * What both SIMD convolution kernels (forward and filter gradient) take: no dilation, output channels in
 * whole 8-wide register tiles, float32 operands and a non-empty output. Anything else runs the built-in.
 */
export function simdConvTakes(info: tf.backend_util.Conv2DInfo, a: TensorInfo, b: TensorInfo): boolean {
  const plain = info.dilationHeight === 1 && info.dilationWidth === 1 && info.outChannels % 8 === 0
  const floats = a.dtype === 'float32' && b.dtype === 'float32'
  return plain && floats && info.batchSize * info.outHeight * info.outWidth > 0
}

/**
 * x padded (or cropped) for Whisker's SIMD kernels: every tap of every output pixel reads inside it, with no
 * bounds checks. Rows `hp = (Ho − 1)·sh + kh` from `top` above x, columns `wp = (Wo − 1)·sw + kw + extra`
 * from `left` (the `extra` columns are zeros a kernel may read past a row's last window). Dilation 1.
 */
export function padForTaps(
  x: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
  extra = 0,
): { padded: tf.Tensor4D; hp: number; wp: number } {
  const hp = (info.outHeight - 1) * info.strideHeight + info.filterHeight
  const wp = (info.outWidth - 1) * info.strideWidth + info.filterWidth + extra
  const { top, left } = info.padInfo
  const padded = padOrCrop(x, top, hp - info.inHeight - top, left, wp - info.inWidth - left)
  return { padded, hp, wp }
}

/**
 * The wasm `Conv2D` kernel (XNNPACK `convolution2d_nhwc_f32`) with explicit padding. Called as a kernel
 * rather than through `tf.conv2d`, so a stride and a dilation above 1 may be combined: XNNPACK supports it,
 * only the op-level check in tfjs-core refuses it.
 */
export function conv2dNhwc(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  dilations: [number, number],
  pad: ExplicitPads | 'valid',
): tf.Tensor4D {
  return tf.engine().runKernel('Conv2D', { x, filter }, {
    strides,
    dilations,
    pad,
    dataFormat: 'NHWC',
    dimRoundingMode: 'floor',
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D
}

/** The wasm `DepthwiseConv2dNative` kernel (XNNPACK, one group per channel), explicit padding allowed. */
export function depthwiseNhwc(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number],
  dilations: [number, number],
  pad: ExplicitPads | 'valid',
): tf.Tensor4D {
  return tf.engine().runKernel('DepthwiseConv2dNative', { x, filter }, {
    strides,
    dilations,
    pad,
    dimRoundingMode: 'floor',
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D
}

/**
 * Inserts `s − 1` zeros after every row (and column) of `dy`: [N, Ho, Wo, C] → [N, Ho·sh, Wo·sw, C], so
 * that `up[i·sh] = dy[i]`. A strided convolution's input gradient is a stride-1 convolution of this
 * tensor. One pad of a rank-5 view, no element loop; the `s − 1` trailing zero rows are part of the result.
 */
export function zeroInsert(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy
  const [n, ho, wo, c] = dy.shape
  const spread = tf.pad(tf.reshape(dy, [n * ho, 1, wo, 1, c]), [
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ])
  return tf.reshape(spread, [n, ho * sh, wo * sw, c])
}

/** `[h, w]` from a tfjs `number | [number, number]` attribute. */
export function pair(
  value: number | [number, number] | number[] | undefined,
  fallback = 1,
): [number, number] {
  if (value === undefined || value === null) return [fallback, fallback]
  if (typeof value === 'number') return [value, value]
  return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback]
}

/**
 * A wasm kernel that replaces a built-in one and may hand a call back to it (a layout or dtype the
 * formulation does not cover). The built-in's setup runs with the backend either way: the replacement
 * carries the built-in's `setupFunc`, so it works whether it is registered before or after the backend starts.
 */
export interface Replacement {
  kernelName: string
  make: (fallback: KernelFunc) => KernelFunc
}

export type { KernelConfig, KernelFunc }
