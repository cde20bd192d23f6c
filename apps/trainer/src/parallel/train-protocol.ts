import type { BatchRecipe } from '../augment/batch-recipe.ts'
import type { Concrete } from '../core/backend.ts'
import type { FlatStep } from './flat-optimizer.ts'

/** The network a training worker builds: the same architecture the main thread trains. */
export interface SeedCnnRecipe {
  kind: 'seed-cnn'
  classes: number
  seed: number
  size: number
}

/**
 * What a training worker is started with. The buffers are shared by every worker and the main thread (no
 * copies through messages): the weights and the optimiser's state, which the workers update range by range
 * after each step, the batch's 0–255 pixels and one-hot labels, one gradient slot per worker, and the
 * probabilities the workers write when they answer photos (validation).
 */
export interface TrainWorkerData {
  backend: Concrete
  recipe: SeedCnnRecipe
  /** How each worker makes its rows of a batch from their pixels. */
  batch: BatchRecipe
  rank: number
  workers: number
  weights: SharedArrayBuffer
  /** The optimiser's per-weight state (`FlatOptimizer.moments`). */
  moments: SharedArrayBuffer
  gradients: SharedArrayBuffer
  inputs: SharedArrayBuffer
  labels: SharedArrayBuffer
  outputs: SharedArrayBuffer
}

/**
 * Train on batch rows [first, first + count) of a batch of `total`, at optimiser step `step`; `seed` is the
 * batch's (`prepareBatch`).
 */
export interface StepRequest {
  kind: 'gradient'
  step: number
  seed: number
  first: number
  count: number
  total: number
}

/**
 * Step weights [from, to) with the sum of the first `slots` gradient slots (`applyFlatStep`), once every
 * worker's gradient is in.
 */
export interface UpdateRequest {
  kind: 'update'
  constants: FlatStep
  slots: number
  from: number
  to: number
}

/**
 * Answer rows [first, first + count) of the input buffer with the current weights, the network in inference
 * mode, and write their probabilities to the same rows of the output buffer.
 */
export interface PredictRequest {
  kind: 'predict'
  first: number
  count: number
}

export type TrainRequest = StepRequest | UpdateRequest | PredictRequest

export type TrainWorkerReply =
  | { kind: 'ready' }
  /** `loss` is this shard's share of the batch mean; `correct` its top-1 hits. */
  | { kind: 'gradient'; loss: number; correct: number }
  | { kind: 'updated' }
  | { kind: 'predicted' }
  | { kind: 'failed'; message: string }
