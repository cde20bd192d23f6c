import type { GraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import type { ExplainNodes } from './nodes.ts'

/** The graph has no feature map pooled or flattened into a dense head, so no heatmap can be drawn. */
export class ExplainUnsupportedError extends Error {
  readonly code = 'EXPLAIN_UNSUPPORTED'
  constructor(why: string) {
    super(`This model cannot explain its answers: ${why}.`)
    this.name = 'ExplainUnsupportedError'
  }
}

/**
 * tfjs-core registers no gradients by itself: `@tensorflow/tfjs-layers` does (so the trainer has them), and
 * a bundle imports `@tensorflow/tfjs-core/dist/register_all_gradients` (the Worker and the page do, next to
 * their backend). Said plainly instead of tfjs' "gradient function not found for Reshape".
 */
export class GradientsMissingError extends Error {
  readonly code = 'GRADIENTS_MISSING'
  constructor(cause: Error) {
    super(
      `Heatmaps need tfjs gradients, and ${cause.message.replace(/^Cannot compute gradient: /, '')}: import '@tensorflow/tfjs-core/dist/register_all_gradients' (in a bundle) or '@tensorflow/tfjs-layers' (in Node) first.`,
      { cause },
    )
    this.name = 'GradientsMissingError'
  }
}

/**
 * Grad-CAM (Selvaraju et al., 2017) through the graph model itself, for one class per image. The
 * feature map F (n × h × w × k, from the forward pass) is fed back in at its own node, the class score
 * y_c (the logits, before the softmax) is differentiated with respect to it by tf.grad, and
 *
 *     α_k = mean over h, w of ∂y_c / ∂F_k        map = relu(Σ_k α_k · F_k)
 *
 * normalised per image to [0, 1] by its maximum (all 0 when nothing spoke for the class). When the head
 * is global average pooling plus one linear layer W, ∂y_c/∂F_k = W_kc / (h·w) everywhere, so the map is
 * exactly the class activation map (CAM) Σ_k W_kc · F_k up to scale. Only the head is differentiated —
 * pooling and a few dense layers — so it costs a few milliseconds next to the backbone's forward pass.
 * Call inside tf.tidy; returns n × h × w.
 */
export function gradCam(
  model: GraphModel,
  nodes: ExplainNodes,
  features: tf.Tensor,
  classes: readonly number[],
  classCount: number,
): tf.Tensor3D {
  if (features.rank !== 4) {
    throw new ExplainUnsupportedError(
      `node "${nodes.featureNode}" is not a feature map (shape ${JSON.stringify(features.shape)})`,
    )
  }
  const [n, h, w] = features.shape as [number, number, number, number]
  const score = (f: tf.Tensor) => model.execute({ [nodes.featureNode]: f }, nodes.scoreNode) as tf.Tensor
  // dy = one-hot of each image's class: the gradient of Σ_i y_{c_i}, without needing Sum's or Mul's.
  const oneHot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(classes), 'int32'), classCount), 'float32')
  let gradients: tf.Tensor
  try {
    gradients = tf.grad(score)(features, oneHot)
  } catch (error) {
    if (error instanceof Error && error.message.includes('gradient function not found'))
      throw new GradientsMissingError(error)
    throw error
  }
  const alpha = tf.mean(gradients, [1, 2], true)
  let map = tf.relu(tf.sum(tf.mul(alpha, features), 3))
  if (n === 2 * classes.length) {
    // A graph with mirror views ran each image and its mirror: the mirror's map, flipped back, is the
    // same photo seen the other way round; the answer was their average, so the map is too.
    const [photos, mirrors] = tf.split(map, 2, 0)
    map = tf.div(tf.add(photos!, tf.reverse(mirrors!, 2)), 2)
  }
  const peak = tf.max(map, [1, 2], true)
  // 0/0 where the map is all zeros: divide by 1 there instead.
  const safePeak = tf.where(tf.greater(peak, 0), peak, tf.onesLike(peak))
  return tf.reshape(tf.div(map, safePeak), [classes.length, h, w]) as tf.Tensor3D
}
