import '@tensorflow/tfjs-layers' // registers the gradients
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import {
  compareKernel,
  dilateFilter,
  input,
  materialize,
  undilateGradient,
} from '../test-support/backends.ts'
import { depthwiseCases, kernelHarness } from '../test-support/kernel-harness.ts'

const { within, gradsMatchCpu } = kernelHarness('DepthwiseConv2dNativeBackpropFilter')

describe('DepthwiseConv2dNativeBackpropFilter on wasm (dW as one depthwise convolution over stacked images)', () => {
  let seed = 1
  for (const {
    label,
    inputShape,
    filterShape,
    strides,
    dilations,
    dilation,
    pad,
    info,
  } of depthwiseCases()) {
    it(`matches the cpu backend: ${label}`, async () => {
      const x = input(inputShape, seed++)
      const dy = input(info.outShape, seed++)
      const attrs = { strides, dilations, pad, filterShape }
      // The cpu kernel ignores dilations: the reference is the undilated gradient for the dilated filter.
      const [dh, dw] = dilation
      const dilated = dilateFilter(input(filterShape, 0), dh, dw).shape
      const reference = {
        attrs: { ...attrs, dilations: 1, filterShape: dilated },
        map: (values: Float32Array) => undilateGradient(values, dilated, dh, dw),
      }
      const result = await compareKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs, reference)
      expect(result.shape).toEqual(filterShape)
      within(label, result.error)
    })
  }

  it('handles a longer reduction (batch 8, 28×28×16)', async () => {
    const x = input([8, 28, 28, 16], 900)
    const dy = input([8, 28, 28, 16], 901)
    const attrs = { strides: 1, dilations: 1, pad: 'same', filterShape: [3, 3, 16, 1] }
    const { error } = await compareKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs)
    within('batch 8, 28×28×16, same (6,272 terms per weight)', error)
  })

  it('gives tf.grads of a strided depthwiseConv2d the same gradients as the cpu backend (this kernel and DepthwiseConv2dNativeBackpropInput together)', async () => {
    const weights = input([2, 5, 4, 6], 904)
    await gradsMatchCpu(
      'depthwiseConv2d',
      (a, b) =>
        tf.sum(
          tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), materialize(weights)),
        ),
      input([2, 9, 8, 3], 902),
      input([3, 3, 3, 2], 903),
    )
  })
})
