import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { useWasmBackend } from '../test-support/tf.ts'
import { registerWasmTrainingKernels } from './index.ts'

describe('Identity and same-dtype Cast on wasm (shared data, no copy)', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels()
    await useWasmBackend()
  })

  it('gives tf.clone the same data, counted twice, and either may be disposed first', () => {
    const backend = tf.backend() as BackendWasm
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])
    const y = tf.clone(x)
    expect(y.dataId).toBe(x.dataId)
    expect(backend.refCount(x.dataId)).toBe(2)
    x.dispose()
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6])
    expect(y.shape).toEqual([2, 3])
    y.dispose()
    expect(backend.refCount(x.dataId)).toBe(0)
  })

  it('keeps ops on the clone from touching the original', () => {
    const x = tf.tensor1d([1, 2, 3])
    const y = tf.clone(x)
    const z = tf.add(y, 10)
    y.dispose()
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3])
    expect(Array.from(z.dataSync())).toEqual([11, 12, 13])
    tf.dispose([x, z])
  })

  it('casts to the same dtype by sharing, and converts other casts as the built-in does', () => {
    const backend = tf.backend() as BackendWasm
    const x = tf.tensor1d([1.5, -2.5, 3])
    const same = tf.cast(x, 'float32')
    expect(same.dataId).toBe(x.dataId)
    expect(backend.refCount(x.dataId)).toBe(2)
    const ints = tf.cast(x, 'int32')
    expect(ints.dataId).not.toBe(x.dataId)
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3])
    const back = tf.cast(ints, 'float32')
    expect(Array.from(back.dataSync())).toEqual([1, -2, 3])
    tf.dispose([x, same, ints, back])
  })

  it('copies strings, as the built-in does', () => {
    const x = tf.tensor1d(['a', 'b'], 'string')
    const y = tf.clone(x)
    x.dispose()
    expect(y.arraySync()).toEqual(['a', 'b'])
    y.dispose()
  })
})
