import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'

/** Keras' epsilon: probabilities are clipped to [ε, 1 − ε] before the log, as `categoricalCrossentropy` does. */
const EPSILON = 1e-7

/** Where each trainable weight lives in one flat Float32Array (the shared weight and gradient layout). */
export interface WeightLayout {
  total: number
  offsets: number[]
  /** Copies the model's trainable weights into `into`. */
  write: (model: tfl.LayersModel, into: Float32Array) => void
  /** Sets the model's trainable weights from `from`. */
  read: (model: tfl.LayersModel, from: Float32Array) => void
}

/** A weight's shape: always fully known (only symbolic tensors have unknown dimensions). */
const shapeOf = (w: tfl.LayerVariable) => w.shape as number[]

export function weightLayout(model: tfl.LayersModel): WeightLayout {
  const sizes = model.trainableWeights.map((w) => tf.util.sizeFromShape(shapeOf(w)))
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0))
  return {
    total: sizes.reduce((a, b) => a + b, 0),
    offsets,
    write: (m, into) => {
      for (const [i, w] of m.trainableWeights.entries()) into.set(w.read().dataSync(), offsets[i])
    },
    read: (m, from) => {
      tf.tidy(() => {
        for (const [i, w] of m.trainableWeights.entries()) {
          w.write(tf.tensor(from.subarray(offsets[i]!, offsets[i]! + sizes[i]!), shapeOf(w)))
        }
      })
    },
  }
}

/**
 * The gradient of this shard's share of a batch's mean categorical cross-entropy: the loss summed over
 * the shard's rows `xs` (the network's input; the caller keeps it) and divided by the whole batch's size, so
 * that the shards' gradients add up to the batch's (and their losses to its loss). Dropout is on, as in
 * `trainOnBatch`. The gradient is written to `into`, in the model's trainable-weight order.
 */
export function shardGradient(
  model: tfl.LayersModel,
  xs: tf.Tensor4D,
  oneHot: Float32Array,
  total: number,
  into: Float32Array,
): { loss: number; correct: number } {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const rows = xs.shape[0]
  let correct = 0
  const { value, grads } = tf.tidy(() => {
    const ys = tf.tensor2d(oneHot, [rows, oneHot.length / rows])
    return tf.variableGrads(() => {
      const p = model.apply(xs, { training: true }) as tf.Tensor2D
      correct = tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), tf.argMax(ys, 1)), 'int32')).dataSync()[0]!
      const normalised = tf.div(p, tf.sum(p, -1, true))
      const clipped = tf.clipByValue(normalised, EPSILON, 1 - EPSILON)
      return tf.div(tf.neg(tf.sum(tf.mul(ys, tf.log(clipped)))), total) as tf.Scalar
    }, variables)
  })
  let offset = 0
  for (const v of variables) {
    into.set(grads[v.name]!.dataSync(), offset)
    offset += v.size
  }
  const loss = value.dataSync()[0]!
  tf.dispose([value, ...Object.values(grads)])
  return { loss, correct }
}
