import '@tensorflow/tfjs-layers' // registers the gradients
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { compareKernel, input, materialize } from '../test-support/backends.ts'
import { convCases, kernelHarness } from '../test-support/kernel-harness.ts'

const { within, gradsMatchCpu } = kernelHarness('Conv2DBackpropFilter')

describe('Conv2DBackpropFilter on wasm (dW as one XNNPACK convolution)', () => {
  let seed = 1
  for (const { label, inputShape, filterShape, strides, pad, info } of convCases()) {
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
