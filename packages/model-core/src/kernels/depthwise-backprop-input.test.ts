import '@tensorflow/tfjs-layers' // registers the gradients
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  compareKernel,
  dilateFilter,
  input,
  materialize,
  onBothBackends,
  relativeError,
  reportErrors,
} from '../test-support/backends.ts'
import {
  DEPTHWISE_GEOMETRIES as GEOMETRIES,
  DEPTHWISE_PADS as PADS,
  DEPTHWISE_SHAPES as SHAPES,
} from '../test-support/conv-cases.ts'
import { registerWasmTrainingKernels } from './index.ts'

const TOLERANCE = 1e-4
const errors = new Map<string, number>()
beforeAll(registerWasmTrainingKernels)
afterAll(() => reportErrors('DepthwiseConv2dNativeBackpropInput', errors))

describe('DepthwiseConv2dNativeBackpropInput on wasm (dx as a depthwise convolution of the spread dy)', () => {
  let seed = 1
  for (const { n, h, w, c } of SHAPES)
    for (const m of [1, 2, 3])
      for (const { s, d } of GEOMETRIES)
        for (const pad of PADS) {
          const label = `batch ${n}, ${h}×${w}×${c}, multiplier ${m}, stride ${s}, dilation ${d}, pad ${JSON.stringify(pad)}`
          it(`matches the cpu backend: ${label}`, async () => {
            const filterShape = [3, 3, c, m]
            const info = tf.backend_util.computeConv2DInfo(
              [n, h, w, c],
              [3, 3, c, m],
              s,
              d,
              pad,
              undefined,
              true,
            )
            const filter = input(filterShape, seed++)
            const dy = input(info.outShape, seed++)
            const attrs = { strides: s, dilations: d, pad, inputShape: [n, h, w, c] }
            // The cpu kernel ignores dilations: the reference runs it undilated with the dilated filter.
            const [dh, dw] = typeof d === 'number' ? [d, d] : d
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
            errors.set(label, result.error)
            expect(result.shape).toEqual([n, h, w, c])
            expect(result.error).toBeLessThanOrEqual(TOLERANCE)
          })
        }

  it('handles a larger case (batch 8, 28×28×16, multiplier 2)', async () => {
    const filter = input([3, 3, 16, 2], 900)
    const dy = input([8, 28, 28, 32], 901)
    const attrs = { strides: 1, dilations: 1, pad: 'same', inputShape: [8, 28, 28, 16] }
    const { error } = await compareKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs)
    errors.set('batch 8, 28×28×16, multiplier 2, same', error)
    expect(error).toBeLessThanOrEqual(TOLERANCE)
  })

  it('gives tf.grads of a strided depthwiseConv2d the same gradients as the cpu backend', async () => {
    const x = input([2, 9, 8, 3], 902)
    const filter = input([3, 3, 3, 2], 903)
    const weights = input([2, 5, 4, 6], 904)
    const { wasm, cpu } = await onBothBackends(() => {
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), materialize(weights)),
        )
      return tf.grads(loss)([materialize(x), materialize(filter)])
    })
    for (const i of [0, 1]) {
      const error = relativeError(wasm[i]!.values, cpu[i]!.values)
      errors.set(`tf.grads through depthwiseConv2d, ${i === 0 ? 'dx' : 'dW'}`, error)
      expect(error).toBeLessThanOrEqual(TOLERANCE)
    }
  })
})
