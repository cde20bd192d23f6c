import '@tensorflow/tfjs-layers' // registers the gradients
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  compareKernel,
  type Input,
  input,
  materialize,
  onBothBackends,
  relativeError,
  runKernel,
} from '../test-support/backends.ts'
import { kernelHarness } from '../test-support/kernel-harness.ts'
import { registerWasmTrainingKernels } from './index.ts'

const builtIn = tf.getKernel('MaxPoolGrad', 'wasm') // before registration replaces it
const { within } = kernelHarness('MaxPoolGrad', { register: false }) // registered below, after reading builtIn

type Pool = { f: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid' | number }
const POOLS: Pool[] = [
  { f: 2, s: 2, pad: 'valid' }, // the seed CNN's pooling
  { f: 2, s: 2, pad: 'same' },
  { f: 3, s: 3, pad: 'same' },
  { f: [2, 3], s: [2, 3], pad: 'valid' },
  { f: 3, s: 2, pad: 'same' }, // overlapping windows
  { f: 3, s: 1, pad: 'same' },
  { f: 3, s: 2, pad: 1 },
  { f: 2, s: 3, pad: 'valid' }, // gaps between windows
]
const SHAPES = [
  { n: 2, h: 8, w: 8, c: 3 },
  { n: 1, h: 7, w: 9, c: 2 },
  { n: 2, h: 9, w: 7, c: 8 }, // 2×2/2 with channels in fours: the SIMD kernel, and a row and column no window covers
]

/** The forward pool's output, as the gradient receives it. */
function pooled(x: Input, { f, s, pad }: Pool): Input {
  return tf.tidy(() => {
    const y = tf.maxPool(materialize(x) as tf.Tensor4D, f, s, pad)
    return { shape: y.shape, values: y.dataSync() as Float32Array }
  })
}

describe('MaxPoolGrad on wasm (one pass over the backend heap)', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
  })
  let seed = 1
  for (const shape of SHAPES)
    for (const pool of POOLS)
      for (const values of ['random', 'ties and negatives'] as const) {
        const { n, h, w, c } = shape
        const label = `batch ${n}, ${h}×${w}×${c}, window ${pool.f}, stride ${pool.s}, pad ${pool.pad}, ${values}`
        it(`matches the cpu backend: ${label}`, async () => {
          // Small integers in [-2, 2] make ties (first maximum wins) and all-negative windows.
          const x = input([n, h, w, c], seed++, values !== 'random')
          const y = pooled(x, pool)
          const dy = input(y.shape, seed++)
          const attrs = { filterSize: pool.f, strides: pool.s, pad: pool.pad }
          const result = await compareKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs)
          expect(result.shape).toEqual([n, h, w, c])
          within(label, result.error)
        })
      }

  it('sends all of dy to the first of tied maxima, as the cpu backend does', async () => {
    await tf.setBackend('wasm')
    const x = { shape: [1, 2, 2, 1], values: new Float32Array([0, 0, 0, 0]) }
    const dy = { shape: [1, 1, 1, 1], values: new Float32Array([5]) }
    const dx = runKernel(
      'MaxPoolGrad',
      { dy, input: x, output: dy },
      { filterSize: 2, strides: 2, pad: 'valid' },
    )
    expect(Array.from(dx.dataSync())).toEqual([5, 0, 0, 0])
    dx.dispose()
  })

  it('sends dy to the first of tied maxima four channels at a time too (the SIMD kernel)', async () => {
    await tf.setBackend('wasm')
    // Channel k of the 2×2 window: ties everywhere (0), a tie for the maximum in taps 1 and 3 (1), one largest
    // value in tap 3 (2), all negative with the largest in tap 2 (3).
    const taps = [
      [0, 0, 0, -2],
      [0, 1, 0, -3],
      [0, 0, -1, -1],
      [0, 1, 2, -4],
    ]
    const x = { shape: [1, 2, 2, 4], values: new Float32Array(taps.flat()) }
    const dy = { shape: [1, 1, 1, 4], values: new Float32Array([5, 6, 7, 8]) }
    const dx = runKernel(
      'MaxPoolGrad',
      { dy, input: x, output: dy },
      { filterSize: 2, strides: 2, pad: 'valid' },
    )
    expect(Array.from(dx.dataSync())).toEqual([5, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 8, 0, 0, 7, 0])
    dx.dispose()
  })

  it('replaces a built-in kernel that loses the gradient of windows whose maximum is not positive', async () => {
    await tf.setBackend('wasm')
    const x = tf.tensor4d([-3, -1, -2, -4, 0, 0, 0, 0], [2, 2, 2, 1])
    const dy = tf.tensor4d([5, 7], [2, 1, 1, 1])
    const args = { inputs: { dy, input: x, output: dy }, attrs: { filterSize: 2, strides: 2, pad: 'valid' } }
    const old = builtIn.kernelFunc({ ...args, backend: tf.backend() } as never) as tf.TensorInfo
    const oldValues = tf.engine().makeTensorFromTensorInfo(old).dataSync()
    const dx = tf.engine().runKernel('MaxPoolGrad', args.inputs, args.attrs as never) as tf.Tensor
    expect(Array.from(dx.dataSync())).toEqual([0, 5, 0, 0, 7, 0, 0, 0]) // as the cpu backend and TensorFlow
    expect(Array.from(oldValues)).not.toEqual([0, 5, 0, 0, 7, 0, 0, 0]) // tfjs-backend-wasm 4.22
  })

  it('gives tf.grad through maxPool the same gradient as the cpu backend', async () => {
    const x = input([2, 10, 10, 4], 500, true)
    const weights = input([2, 5, 5, 4], 501)
    const { wasm, cpu } = await onBothBackends(() =>
      tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), materialize(weights))),
      )(materialize(x)),
    )
    const error = relativeError(wasm[0]!.values, cpu[0]!.values)
    within('tf.grad through maxPool 2×2/2', error)
  })
})
