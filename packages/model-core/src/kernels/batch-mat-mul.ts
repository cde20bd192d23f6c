/**
 * `BatchMatMul` for the wasm backend, for one case: a single (unbatched) product with a transposed operand.
 * The built-in kernel sends only `a · b` to XNNPACK's fully-connected operator; `aᵀ · b` and `a · bᵀ`, which
 * are exactly a dense layer's two gradients (dW = xᵀ · dy, dx = dy · Wᵀ), go to a naive triple loop, about
 * 10× slower. Here the operand is transposed first (one copy, XNNPACK-free but linear) and the product
 * is XNNPACK's:
 *
 *   aᵀ · b = transpose(a) · b,   a · bᵀ = a · transpose(b)
 *
 * Batched products keep the built-in kernel.
 */

import type { BatchMatMulAttrs, KernelFunc } from '@tensorflow/tfjs-core'
import * as tf from '@tensorflow/tfjs-core'
import { type Replacement, tensorOf } from './shared.ts'

const batchSize = (shape: number[]) => tf.util.sizeFromShape(shape.slice(0, -2))

export const batchMatMul: Replacement = {
  kernelName: 'BatchMatMul',
  make:
    (fallback: KernelFunc): KernelFunc =>
    (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs
      const a = args.inputs.a!
      const b = args.inputs.b!
      if (
        (!transposeA && !transposeB) ||
        a.dtype !== 'float32' ||
        b.dtype !== 'float32' ||
        batchSize(a.shape) !== 1 ||
        batchSize(b.shape) !== 1
      ) {
        return fallback(args)
      }
      return tf.tidy(() => {
        const matrix = (t: tf.TensorInfo, transpose: boolean) => {
          const m = tf.reshape(tensorOf(t), t.shape.slice(-2) as [number, number]) as tf.Tensor2D
          return transpose ? tf.transpose(m) : m
        }
        const product = tf.matMul(matrix(a, transposeA), matrix(b, transposeB))
        const outer = a.shape.length > b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2)
        return tf.reshape(product, [...outer, ...product.shape])
      })
    },
}
