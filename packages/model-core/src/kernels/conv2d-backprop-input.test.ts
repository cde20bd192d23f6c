import '@tensorflow/tfjs-layers' // registers the gradients
import { describe, expect, it } from 'vitest'
import { compareKernel, input } from '../test-support/backends.ts'
import { convCases, kernelHarness } from '../test-support/kernel-harness.ts'

const { within } = kernelHarness('Conv2DBackpropInput')

describe('Conv2DBackpropInput on wasm (dx as one XNNPACK convolution of the spread dy)', () => {
  let seed = 1
  for (const { label, inputShape, filterShape, strides, pad, info } of convCases()) {
    it(`matches the cpu backend: ${label}`, async () => {
      const filter = input(filterShape, seed++)
      const dy = input(info.outShape, seed++)
      const attrs = { strides, pad, dataFormat: 'NHWC', inputShape }
      const { error, shape, expectedShape } = await compareKernel(
        'Conv2DBackpropInput',
        { dy, filter },
        attrs,
      )
      expect(shape).toEqual(inputShape)
      expect(shape).toEqual(expectedShape)
      within(label, error)
    })
  }

  it('hands NCHW to the built-in kernel', async () => {
    const filter = input([3, 3, 3, 5], 90)
    const dy = input([2, 5, 4, 4], 91) // N, C, H, W
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 8, 7] }
    const { error, shape } = await compareKernel('Conv2DBackpropInput', { dy, filter }, attrs)
    expect(shape).toEqual([2, 3, 8, 7])
    within('NCHW (built-in), stride 2, same', error)
  })

  // tf.grads through a strided conv2d, which runs this kernel and Conv2DBackpropFilter together, is checked
  // once, in conv2d-backprop-filter.test.ts.
})
