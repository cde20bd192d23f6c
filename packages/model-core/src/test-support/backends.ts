import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { seededRandom, uniform } from './tf.ts'

/** A tensor's recipe: created afresh on whichever backend is active, so both backends see the same values. */
export interface Input {
  shape: number[]
  values: Float32Array
}

/** `shape` filled from [-1, 1) by a seeded generator (or with small integers, to make ties). */
export function input(shape: number[], seed: number, integers = false): Input {
  const random = seededRandom(seed)
  const n = shape.reduce((a, b) => a * b, 1)
  const values = uniform(random, n, -1, 1)
  if (integers) for (let i = 0; i < n; i++) values[i] = Math.round(values[i]! * 2)
  return { shape, values }
}

export const materialize = (x: Input): tf.Tensor => tf.tensor(x.values, x.shape)

/**
 * Runs `compute` on the wasm backend, then on the cpu backend (the reference), and returns both results'
 * values and shapes. Leaves the wasm backend active.
 */
export async function onBothBackends(compute: () => tf.Tensor | tf.Tensor[]): Promise<{
  wasm: { shape: number[]; values: Float32Array }[]
  cpu: { shape: number[]; values: Float32Array }[]
}> {
  const run = async (backend: string) => {
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`)
    const result = tf.tidy(compute)
    const list = Array.isArray(result) ? result : [result]
    const out = list.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }))
    tf.dispose(list)
    return out
  }
  const cpu = await run('cpu')
  const wasm = await run('wasm')
  return { wasm, cpu }
}

/** max |a − b| / max |b|: the error relative to the reference's scale (0 when both are all zeros). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`)
  let diff = 0
  let scale = 0
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!)
    diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d)
    scale = Math.max(scale, Math.abs(expected[i]!))
  }
  return diff === 0 ? 0 : diff / scale
}

/** Runs one kernel by name with the given inputs and attributes on the active backend. */
export function runKernel(name: string, inputs: Record<string, Input>, attrs: object): tf.Tensor {
  const tensors: tf.NamedTensorMap = {}
  for (const [key, value] of Object.entries(inputs)) tensors[key] = materialize(value)
  return tf.engine().runKernel(name, tensors, attrs as tf.NamedAttrMap) as tf.Tensor
}

/** Compares one kernel on wasm (after registration) with the cpu backend's; returns the relative error. */
export async function compareKernel(
  name: string,
  inputs: Record<string, Input>,
  attrs: object,
  reference?: {
    inputs?: Record<string, Input>
    attrs?: object
    map?: (values: Float32Array) => Float32Array
  },
): Promise<{ error: number; shape: number[]; expectedShape: number[] }> {
  await tf.setBackend('cpu')
  const expectedTensor = runKernel(name, reference?.inputs ?? inputs, reference?.attrs ?? attrs)
  const expectedShape = expectedTensor.shape
  let expected = expectedTensor.dataSync() as Float32Array
  expectedTensor.dispose()
  if (reference?.map) expected = reference.map(expected)
  await tf.setBackend('wasm')
  const actualTensor = runKernel(name, inputs, attrs)
  const actual = actualTensor.dataSync() as Float32Array
  const shape = actualTensor.shape
  actualTensor.dispose()
  return { error: relativeError(actual, expected), shape, expectedShape }
}

/**
 * A [kh, kw, C, M] filter with dh − 1 (dw − 1) zero rows (columns) between taps: a dilated convolution with
 * `filter` equals an undilated one with this. Used as the reference for dilated depthwise gradients, because the
 * cpu backend's depthwise backprop kernels ignore `dilations` (they read tap a at row a, not a·dh).
 */
export function dilateFilter(filter: Input, dh: number, dw: number): Input {
  const [kh, kw, c, m] = filter.shape as [number, number, number, number]
  const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1]
  const values = new Float32Array(eh * ew * c * m)
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      values.set(
        filter.values.subarray((a * kw + b) * c * m, (a * kw + b + 1) * c * m),
        (a * dh * ew + b * dw) * c * m,
      )
  return { shape: [eh, ew, c, m], values }
}

/** The taps of a gradient with respect to a dilated filter (shape [eh, ew, C, M]) that the real filter has. */
export function undilateGradient(
  values: Float32Array,
  shape: number[],
  dh: number,
  dw: number,
): Float32Array {
  const [eh, ew, c, m] = shape as [number, number, number, number]
  const [kh, kw] = [(eh - 1) / dh + 1, (ew - 1) / dw + 1]
  const out = new Float32Array(kh * kw * c * m)
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      out.set(
        values.subarray((a * dh * ew + b * dw) * c * m, (a * dh * ew + b * dw + 1) * c * m),
        (a * kw + b) * c * m,
      )
  return out
}

/** Where tests record the errors they measured, printed when WHISKER_KERNEL_ERRORS is set. */
export function reportErrors(file: string, errors: Map<string, number>): void {
  if (!process.env.WHISKER_KERNEL_ERRORS) return
  const worst = Math.max(...errors.values())
  console.log(`${file}: ${errors.size} cases, max relative error ${worst.toExponential(2)}`)
  for (const [label, error] of errors) console.log(`  ${label}: ${error.toExponential(2)}`)
}
