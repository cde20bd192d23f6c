import '@tensorflow/tfjs-layers' // registers the gradients
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  compareKernel,
  input,
  materialize,
  onBothBackends,
  relativeError,
  reportErrors,
} from '../test-support/backends.ts'
import { CONV_CASES as CASES, type ConvPad, CONV_PADS as PADS } from '../test-support/conv-cases.ts'
import { registerWasmTrainingKernels } from './index.ts'

const TOLERANCE = 1e-4
const errors = new Map<string, number>()
beforeAll(registerWasmTrainingKernels)
afterAll(() => reportErrors('Conv2DBackpropInput', errors))

describe('Conv2DBackpropInput on wasm (dx as one XNNPACK convolution of the spread dy)', () => {
  let seed = 1
  for (const { n, h, w, k, s, c } of CASES) {
    for (const pad of c ? (['same'] as ConvPad[]) : PADS) {
      const [ci, co] = c ?? [3, 4]
      const label = `batch ${n}, ${h}×${w}×${ci}→${co}, kernel ${k.join('×')}, stride ${s}, pad ${JSON.stringify(pad)}`
      it(`matches the cpu backend: ${label}`, async () => {
        const filterShape = [...k, ci, co] as [number, number, number, number]
        const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], filterShape, s, 1, pad)
        const filter = input(filterShape, seed++)
        const dy = input(info.outShape, seed++)
        const attrs = { strides: s, pad, dataFormat: 'NHWC', inputShape: [n, h, w, ci] }
        const { error, shape, expectedShape } = await compareKernel(
          'Conv2DBackpropInput',
          { dy, filter },
          attrs,
        )
        errors.set(label, error)
        expect(shape).toEqual([n, h, w, ci])
        expect(shape).toEqual(expectedShape)
        expect(error).toBeLessThanOrEqual(TOLERANCE)
      })
    }
  }

  it('hands NCHW to the built-in kernel', async () => {
    const filter = input([3, 3, 3, 5], 90)
    const dy = input([2, 5, 4, 4], 91) // N, C, H, W
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 8, 7] }
    const { error, shape } = await compareKernel('Conv2DBackpropInput', { dy, filter }, attrs)
    errors.set('NCHW (built-in), stride 2, same', error)
    expect(shape).toEqual([2, 3, 8, 7])
    expect(error).toBeLessThanOrEqual(TOLERANCE)
  })

  it('gives tf.grads of a strided conv2d the same filter and input gradients as the cpu backend', async () => {
    const x = input([3, 9, 8, 2], 92)
    const filter = input([3, 3, 2, 4], 93)
    const weights = input([3, 5, 4, 4], 94)
    const { wasm, cpu } = await onBothBackends(() => {
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), materialize(weights)))
      return tf.grads(loss)([materialize(x), materialize(filter)])
    })
    for (const i of [0, 1]) {
      const error = relativeError(wasm[i]!.values, cpu[i]!.values)
      errors.set(`tf.grads through conv2d, ${i === 0 ? 'dx' : 'dW'}`, error)
      expect(error).toBeLessThanOrEqual(TOLERANCE)
    }
  })
})
