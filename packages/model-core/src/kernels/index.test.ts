import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildSeedCnn, TimeDecaySgd } from '../architectures/seed-cnn.ts'
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

  it('trains: the training loss on a batch falls over a few steps of the tutorial optimiser', async () => {
    const batch = 4
    const model = buildSeedCnn({ classes: 2, seed: 7 })
    const sgd = new TimeDecaySgd()
    model.compile({ optimizer: sgd.optimizer, loss: 'categoricalCrossentropy' })
    const x = tf.tensor4d(uniform(seededRandom(3), batch * 150 * 150 * 3, 0, 1), [batch, 150, 150, 3])
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2)
    const losses: number[] = []
    let tensors = 0
    for (let step = 0; step < 5; step++) {
      sgd.nextRate()
      losses.push((await model.trainOnBatch(x, y)) as number)
      if (step === 1) tensors = tf.memory().numTensors // after the optimiser has made its slots
    }
    // The seeded dropout masks are the same every step, so this is the loss of the network being fitted.
    expect(losses.every(Number.isFinite)).toBe(true)
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 4)
    expect(tf.memory().numTensors).toBe(tensors) // nothing leaks per step
    tf.dispose([x, y])
    model.dispose()
  })
})
