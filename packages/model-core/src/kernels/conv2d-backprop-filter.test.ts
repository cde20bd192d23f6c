import '@tensorflow/tfjs-layers' // registers the gradients
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { compareKernel, input, materialize } from '../test-support/backends.ts'
import { convCases, kernelHarness } from '../test-support/kernel-harness.ts'
import { simdConvFilterGradient } from './conv2d-backprop-filter.ts'

const { within, gradsMatchCpu } = kernelHarness('Conv2DBackpropFilter')

describe('Conv2DBackpropFilter on wasm (dW as one XNNPACK convolution, or Whisker’s SIMD kernel)', () => {
  let seed = 1
  // Co = 4 goes to the XNNPACK formulation, Co = 8 to the SIMD kernel (Ci = 3 and 5: window widths kw·Ci
  // that are not multiples of 4, so the kernel's rounded-up columns are exercised and dropped).
  const cases = new Map(
    [...convCases(), ...convCases([3, 8]), ...convCases([5, 16])].map((c) => [c.label, c]),
  )
  for (const { label, inputShape, filterShape, strides, pad, info } of cases.values()) {
    it(`matches the cpu backend: ${label}`, async () => {
      const x = input(inputShape, seed++)
      const dy = input(info.outShape, seed++)
      const attrs = { strides, pad, dataFormat: 'NHWC', filterShape }
      const { error, shape, expectedShape } = await compareKernel('Conv2DBackpropFilter', { x, dy }, attrs)
      expect(shape).toEqual(filterShape)
      expect(shape).toEqual(expectedShape)
      within(label, error)
    })
  }

  it('runs the SIMD kernel whenever Co is a multiple of 8 and there is no dilation', async () => {
    await tf.setBackend('wasm')
    const backend = tf.backend() as BackendWasm
    const simd = (inputShape: [number, number, number, number], co: number, dilations = 1) =>
      tf.tidy(() => {
        const x = tf.zeros(inputShape) as tf.Tensor4D
        const filterShape = [3, 3, inputShape[3]!, co] as [number, number, number, number]
        const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, 1, dilations, 'same')
        return simdConvFilterGradient(backend, x, tf.zeros(info.outShape), info)?.shape
      })
    expect(simd([2, 6, 6, 3], 8)).toEqual([3, 3, 3, 8])
    expect(simd([2, 6, 6, 3], 12)).toBeUndefined()
    expect(simd([2, 6, 6, 3], 8, 2)).toBeUndefined()
    expect(simd([0, 6, 6, 3], 8)).toBeUndefined()
  })

  it('takes NCHW inputs (transposed to NHWC and back)', async () => {
    const x = input([2, 3, 8, 7], 90) // N, C, H, W
    const dy = input([2, 5, 4, 4], 91)
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 5] }
    const { error, shape } = await compareKernel('Conv2DBackpropFilter', { x, dy }, attrs)
    expect(shape).toEqual([3, 3, 3, 5])
    within('NCHW, stride 2, same', error)
  })

  it('gives tf.grads of a strided conv2d the same filter and input gradients as the cpu backend (this kernel and Conv2DBackpropInput together)', async () => {
    const weights = input([3, 5, 4, 4], 94)
    await gradsMatchCpu(
      'conv2d',
      (a, b) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), materialize(weights))),
      input([3, 9, 8, 2], 92),
      input([3, 3, 2, 4], 93),
    )
  })
})
