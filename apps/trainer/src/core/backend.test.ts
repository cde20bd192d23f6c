import '@tensorflow/tfjs-layers' // registers the gradients, as the trainer's own imports do
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { BackendUnavailableError, selectBackend } from './backend.ts'

/** Resolved, not imported: importing tfjs-node would register its backend for every test in this file. */
const NATIVE_INSTALLED = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node')
    return true
  } catch {
    return false
  }
})()

describe('selectBackend', () => {
  it('auto picks the fastest backend that loads here and says why it skipped the others', async () => {
    const report = await selectBackend('auto')
    expect(report.backend).toBe(tf.getBackend())
    const order = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']
    expect(report.skipped.map((s) => s.choice)).toEqual(order.slice(0, report.skipped.length))
    for (const skipped of report.skipped) expect(skipped.reason).not.toBe('')
  })

  it('activates an explicitly chosen backend', async () => {
    expect((await selectBackend('cpu')).backend).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
  })

  it('registers the wasm training kernels with wasm, so a conv2d gradient works there', async () => {
    const report = await selectBackend('wasm')
    expect(report.backend).toBe('wasm')
    expect(report.notes.join(' ')).toContain('Conv2DBackpropFilter')
    expect(report.notes.join(' ')).toContain("Whisker's SIMD kernels: fused") // Node 24 has relaxed SIMD
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined()
    // loss = Σ conv2d(x, W), x all ones [1, 4, 4, 1], W 3×3 'valid': each tap sees the 2×2 outputs' inputs,
    // so dW = 4 everywhere; dx counts the windows covering each pixel (1, 2, 2, 1 along each axis).
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D
    const filter = tf.ones([3, 3, 1, 1]) as tf.Tensor4D
    const [dx, dW] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')),
    )([x, filter])
    expect(Array.from(dW!.dataSync())).toEqual(new Array(9).fill(4))
    const edge = [1, 2, 2, 1]
    expect(Array.from(dx!.dataSync())).toEqual(edge.flatMap((r) => edge.map((c) => r * c)))
    expect((await selectBackend('wasm')).notes).toEqual(report.notes) // registering again changes nothing
    tf.dispose([x, filter, dx!, dW!])
  })

  it('adds no notes for a backend it does not prepare', async () => {
    expect((await selectBackend('cpu')).notes).toEqual([])
  })

  it.skipIf(NATIVE_INSTALLED)(
    'fails with a typed error, saying why, when an explicit choice cannot load (skipped where @tensorflow/tfjs-node is installed: there `tensorflow` loads)',
    async () => {
      await selectBackend('cpu')
      const error = await selectBackend('tensorflow').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BackendUnavailableError)
      expect(error).toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        message: 'Backend "tensorflow" is not available here: package not installed (optional dependency)',
      })
      expect(tf.getBackend()).toBe('cpu') // the failed choice left the active backend alone
    },
  )
})
