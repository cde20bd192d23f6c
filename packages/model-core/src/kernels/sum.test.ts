import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { compareKernel, input } from '../test-support/backends.ts'
import { kernelHarness } from '../test-support/kernel-harness.ts'

const { within } = kernelHarness('Sum')

const CASES: { shape: number[]; axis: number | number[]; keepDims: boolean; note: string }[] = [
  { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false, note: 'bias gradient (average pool)' },
  { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: true, note: 'average pool, dims kept' },
  { shape: [4, 5, 6, 7], axis: [1, 0], keepDims: false, note: 'average pool, axes unordered' },
  { shape: [16, 300], axis: 0, keepDims: false, note: 'dense bias gradient (average pool)' },
  {
    shape: [8, 48, 48, 32],
    axis: [0, 1, 2],
    keepDims: false,
    note: '18,432 terms per channel (average pool)',
  },
  { shape: [3, 5000], axis: 0, keepDims: false, note: 'too wide: built-in' },
  { shape: [4, 5, 6, 7], axis: [1, 2], keepDims: false, note: 'inner axes: built-in' },
  { shape: [4, 5, 6, 7], axis: [0, 1, 2, 3], keepDims: false, note: 'all axes: built-in' },
  { shape: [4, 5, 6, 7], axis: -1, keepDims: true, note: 'last axis: built-in' },
  { shape: [1, 5, 7], axis: 0, keepDims: false, note: 'size-1 axis: built-in' },
]

describe('Sum on wasm (leading axes as one XNNPACK average pool)', () => {
  let seed = 1
  for (const { shape, axis, keepDims, note } of CASES) {
    const label = `${JSON.stringify(shape)} over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''}: ${note}`
    it(`matches the cpu backend: ${label}`, async () => {
      const x = input(shape, seed++)
      const { error, shape: out, expectedShape } = await compareKernel('Sum', { x }, { axis, keepDims })
      expect(out).toEqual(expectedShape)
      within(label, error)
    })
  }

  it('still sums int32 tensors (built-in)', async () => {
    await tf.setBackend('wasm')
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32')
    const s = tf.sum(x, [0, 1])
    expect(s.dtype).toBe('int32')
    expect(Array.from(s.dataSync())).toEqual([16, 20])
    tf.dispose([x, s])
  })
})
