import '@tensorflow/tfjs-layers' // registers the gradients
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { compareKernel, input, materialize } from '../test-support/backends.ts'
import { CONV_PADS, type ConvPad } from '../test-support/conv-cases.ts'
import { kernelHarness } from '../test-support/kernel-harness.ts'
import { simdConv2d } from './conv2d.ts'

const { within, gradsMatchCpu } = kernelHarness('Conv2D')

// Widths 1, 3, 5 and 8 cover the kernel's tiles of four pixels, its one-pixel tail, and both together.
const CASES: { n: number; h: number; w: number; k: [number, number]; ci: number; co: number }[] = [
  { n: 1, h: 5, w: 1, k: [3, 1], ci: 32, co: 8 },
  { n: 2, h: 6, w: 3, k: [3, 3], ci: 32, co: 16 },
  { n: 3, h: 4, w: 5, k: [2, 3], ci: 40, co: 8 },
  { n: 2, h: 7, w: 8, k: [3, 1], ci: 32, co: 24 },
]

describe('Conv2D on wasm (Whisker’s SIMD kernel for stride-1 spatial kernels of 32+ channels)', () => {
  let seed = 1
  for (const { n, h, w, k, ci, co } of CASES)
    for (const pad of CONV_PADS) {
      const label = `batch ${n}, ${h}×${w}×${ci}→${co}, kernel ${k.join('×')}, pad ${JSON.stringify(pad)}`
      it(`matches the cpu backend: ${label}`, async () => {
        const x = input([n, h, w, ci], seed++)
        const filter = input([...k, ci, co], seed++)
        const attrs = { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 }
        const { error, shape, expectedShape } = await compareKernel('Conv2D', { x, filter }, attrs)
        expect(shape).toEqual(expectedShape)
        within(label, error)
      })
    }

  it('runs only where it measured faster than XNNPACK', async () => {
    await tf.setBackend('wasm')
    const backend = tf.backend() as BackendWasm
    const simd = (ci: number, co: number, k: number, strides = 1, pad: ConvPad = 'same', dilations = 1) =>
      tf.tidy(() => {
        const x = tf.zeros([2, 6, 6, ci]) as tf.Tensor4D
        const filter = tf.zeros([k, k, ci, co]) as tf.Tensor4D
        const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, strides, dilations, pad)
        return simdConv2d(backend, x, filter, info)?.shape
      })
    expect(simd(32, 8, 3)).toEqual([2, 6, 6, 8])
    expect(simd(32, 16, 3, 1, 'valid')).toEqual([2, 4, 4, 16])
    expect(simd(3, 32, 3)).toBeUndefined() // too few input channels
    expect(simd(32, 12, 3)).toBeUndefined() // output channels not in eights
    expect(simd(32, 8, 1)).toBeUndefined() // 1×1
    expect(simd(32, 8, 3, 2)).toBeUndefined() // strided
    expect(simd(32, 8, 3, 1, 'same', 2)).toBeUndefined() // dilated
  })

  it('gives tf.grads of a 32-channel conv2d the same input and filter gradients as the cpu backend', async () => {
    const weights = input([2, 6, 5, 16], 94)
    await gradsMatchCpu(
      'conv2d',
      (a, b) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), materialize(weights))),
      input([2, 6, 5, 32], 92),
      input([3, 3, 32, 16], 93),
    )
  })
})
