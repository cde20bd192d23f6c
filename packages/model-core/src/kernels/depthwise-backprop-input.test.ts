import '@tensorflow/tfjs-layers' // registers the gradients
import { describe, expect, it } from 'vitest'
import { compareKernel, dilateFilter, input } from '../test-support/backends.ts'
import { depthwiseCases, kernelHarness } from '../test-support/kernel-harness.ts'

const { within } = kernelHarness('DepthwiseConv2dNativeBackpropInput')

describe('DepthwiseConv2dNativeBackpropInput on wasm (dx as a depthwise convolution of the spread dy)', () => {
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
      const filter = input(filterShape, seed++)
      const dy = input(info.outShape, seed++)
      const attrs = { strides, dilations, pad, inputShape }
      // The cpu kernel ignores dilations: the reference runs it undilated with the dilated filter.
      const [dh, dw] = dilation
      const reference = {
        inputs: { dy, filter: dilateFilter(filter, dh, dw) },
        attrs: { ...attrs, dilations: 1 },
      }
      const result = await compareKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        attrs,
        reference,
      )
      expect(result.shape).toEqual(inputShape)
      within(label, result.error)
    })
  }

  it('handles a larger case (batch 8, 28×28×16, multiplier 2)', async () => {
    const filter = input([3, 3, 16, 2], 900)
    const dy = input([8, 28, 28, 32], 901)
    const attrs = { strides: 1, dilations: 1, pad: 'same', inputShape: [8, 28, 28, 16] }
    const { error } = await compareKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs)
    within('batch 8, 28×28×16, multiplier 2, same', error)
  })

  // tf.grads through a strided depthwiseConv2d, which runs this kernel and the filter gradient together, is
  // checked once, in depthwise-backprop-filter.test.ts.
})
