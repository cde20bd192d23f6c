import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { registerWasmTrainingKernels } from '../kernels/index.ts'
import { type Input, materialize, onBothBackends, relativeError, reportErrors } from './backends.ts'
import {
  CONV_CASES,
  CONV_PADS,
  type ConvPad,
  DEPTHWISE_GEOMETRIES,
  DEPTHWISE_PADS,
  DEPTHWISE_SHAPES,
  type DepthwisePad,
  type Pair,
} from './conv-cases.ts'

/** The largest relative error a wasm training kernel may show against the cpu backend. */
export const KERNEL_TOLERANCE = 1e-4

export interface KernelHarness {
  /** Records a case's relative error under `label` and expects it within KERNEL_TOLERANCE. */
  within(label: string, error: number): void
  /**
   * tf.grads of `loss` with respect to x and filter, on wasm and on the cpu backend: both gradients within
   * the tolerance, recorded as "tf.grads through <op>, dx / dW".
   */
  gradsMatchCpu(
    op: string,
    loss: (x: tf.Tensor, filter: tf.Tensor) => tf.Tensor,
    x: Input,
    filter: Input,
  ): Promise<void>
}

/**
 * What every kernel test file sets up: the training kernels registered before its tests (`register: false`
 * where a file must see a built-in kernel first), and each case's error recorded and printed after the file
 * when WHISKER_KERNEL_ERRORS is set.
 */
export function kernelHarness(kernel: string, options: { register?: boolean } = {}): KernelHarness {
  const errors = new Map<string, number>()
  if (options.register ?? true) beforeAll(registerWasmTrainingKernels)
  afterAll(() => reportErrors(kernel, errors))
  const within = (label: string, error: number) => {
    errors.set(label, error)
    expect(error).toBeLessThanOrEqual(KERNEL_TOLERANCE)
  }
  return {
    within,
    async gradsMatchCpu(op, loss, x, filter) {
      const { wasm, cpu } = await onBothBackends(() => tf.grads(loss)([materialize(x), materialize(filter)]))
      for (const i of [0, 1]) {
        within(
          `tf.grads through ${op}, ${i === 0 ? 'dx' : 'dW'}`,
          relativeError(wasm[i]!.values, cpu[i]!.values),
        )
      }
    },
  }
}

export interface ConvCase {
  label: string
  inputShape: [number, number, number, number]
  filterShape: [number, number, number, number]
  strides: number | [number, number]
  pad: ConvPad
  info: tf.backend_util.Conv2DInfo
}

/**
 * Every conv2d gradient case: CONV_CASES × CONV_PADS (wide cases 'same' only), labelled. `channels` replaces
 * the narrow cases' [Ci, Co] of [3, 4].
 */
export function convCases(channels: [number, number] = [3, 4]): ConvCase[] {
  return CONV_CASES.flatMap(({ n, h, w, k, s, c }) =>
    (c ? (['same'] as ConvPad[]) : CONV_PADS).map((pad) => {
      const [ci, co] = c ?? channels
      const filterShape = [...k, ci, co] as [number, number, number, number]
      return {
        label: `batch ${n}, ${h}×${w}×${ci}→${co}, kernel ${k.join('×')}, stride ${s}, pad ${JSON.stringify(pad)}`,
        inputShape: [n, h, w, ci] as [number, number, number, number],
        filterShape,
        strides: s,
        pad,
        info: tf.backend_util.computeConv2DInfo([n, h, w, ci], filterShape, s, 1, pad),
      }
    }),
  )
}

export interface DepthwiseCase {
  label: string
  inputShape: [number, number, number, number]
  filterShape: [number, number, number, number]
  strides: Pair
  dilations: Pair
  /** The dilations as [height, width]. */
  dilation: [number, number]
  pad: DepthwisePad
  info: tf.backend_util.Conv2DInfo
}

/** Every depthwise gradient case: shapes × multipliers 1–3 × geometries × pads, 3×3 filters, labelled. */
export function depthwiseCases(): DepthwiseCase[] {
  return DEPTHWISE_SHAPES.flatMap(({ n, h, w, c }) =>
    [1, 2, 3].flatMap((m) =>
      DEPTHWISE_GEOMETRIES.flatMap(({ s, d }) =>
        DEPTHWISE_PADS.map((pad) => ({
          label: `batch ${n}, ${h}×${w}×${c}, multiplier ${m}, stride ${s}, dilation ${d}, pad ${JSON.stringify(pad)}`,
          inputShape: [n, h, w, c] as [number, number, number, number],
          filterShape: [3, 3, c, m] as [number, number, number, number],
          strides: s,
          dilations: d,
          dilation: (typeof d === 'number' ? [d, d] : d) as [number, number],
          pad,
          info: tf.backend_util.computeConv2DInfo([n, h, w, c], [3, 3, c, m], s, d, pad, undefined, true),
        })),
      ),
    ),
  )
}
