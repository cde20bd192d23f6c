import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { createAugmenter } from './augmenter.ts'
import type { AugmentSpec } from './presets.ts'

/**
 * How a training batch is made from its photos' 0–255 pixels: each image augmented, then scaled to what the
 * network takes. Plain data, so that a training worker can make its own rows of a batch, exactly as the
 * whole batch would be made in one place.
 */
export interface BatchRecipe {
  readonly augment: AugmentSpec
  /** Multiplies the augmented 0–255 pixels, e.g. 1/255. */
  readonly scale: number
}

/**
 * Rows [from, from + n) of the training batch seeded `batchSeed`, from their pixels. The caller owns the result;
 * `pixels` is left untouched.
 */
export function prepareBatch(
  pixels: tf.Tensor4D,
  recipe: BatchRecipe,
  batchSeed: number,
  from = 0,
): tf.Tensor4D {
  return tf.tidy(() => tf.mul(createAugmenter(recipe.augment, batchSeed, from).apply(pixels), recipe.scale))
}

/**
 * The network's probabilities for validation or test photos, row after row: their pixels scaled, never
 * augmented, the network in inference mode. `pixels` is left untouched.
 */
export function predictUnseen(
  model: tfl.LayersModel,
  pixels: tf.Tensor4D,
  recipe: BatchRecipe,
): Float32Array {
  const output = tf.tidy(() => model.predict(tf.mul(pixels, recipe.scale)) as tf.Tensor)
  const probabilities = output.dataSync() as Float32Array
  output.dispose()
  return probabilities
}
