import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildSeedCnn } from '../architectures/seed-cnn.ts'
import { seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS, wasmTrainingKernelsRegistered } from './index.ts'

const MISSING = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
]

describe('registerWasmTrainingKernels', () => {
  it('adds the kernels tfjs-backend-wasm lacks and replaces the slow ones, idempotently', () => {
    for (const name of MISSING) expect(tf.getKernel(name, 'wasm')).toBeUndefined()
    const builtIn = tf.getKernel('Conv2DBackpropInput', 'wasm')
    expect(wasmTrainingKernelsRegistered()).toBe(false)

    expect(registerWasmTrainingKernels()).toEqual(WASM_TRAINING_KERNELS)
    expect(WASM_TRAINING_KERNELS.added).toEqual(MISSING)
    expect(WASM_TRAINING_KERNELS.replaced).toEqual([
      'Conv2DBackpropInput',
      'MaxPoolGrad',
      'Sum',
      'BatchMatMul',
      'Identity',
      'Cast',
      'Conv2D',
    ])
    for (const name of MISSING) expect(tf.getKernel(name, 'wasm')).toBeDefined()
    const replaced = tf.getKernel('Conv2DBackpropInput', 'wasm')
    expect(replaced).not.toBe(builtIn)
    expect(replaced.setupFunc).toBe(builtIn.setupFunc) // the built-in still serves NCHW
    expect(wasmTrainingKernelsRegistered()).toBe(true)

    registerWasmTrainingKernels()
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(replaced)
    expect(wasmTrainingKernelsRegistered()).toBe(true)
  })
})

describe('the seed CNN on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels()
    await useWasmBackend()
  })

  it('trains: the network fits a batch within a few steps', async () => {
    const batch = 4
    const model = buildSeedCnn({ classes: 2, seed: 7 })
    // Adam rather than the tutorial's SGD, which needs hundreds of steps to leave chance on any data.
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' })
    const x = tf.tensor4d(uniform(seededRandom(3), batch * 150 * 150 * 3, 0, 1), [batch, 150, 150, 3])
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2)
    // Measured in inference mode: dropout draws new masks at every training step, which makes the
    // training losses of single steps noisy.
    const loss = () => tf.tidy(() => (model.evaluate(x, y) as tf.Scalar).dataSync()[0]!)
    const before = loss()
    const losses: number[] = []
    let tensors = 0
    for (let step = 0; step < 8; step++) {
      losses.push((await model.trainOnBatch(x, y)) as number)
      if (step === 1) tensors = tf.memory().numTensors // after the optimiser has made its slots
    }
    expect(losses.every(Number.isFinite)).toBe(true)
    expect(loss()).toBeLessThan(before * 0.9)
    expect(tf.memory().numTensors).toBe(tensors) // nothing leaks per step
    tf.dispose([x, y])
    model.dispose()
  })
})
