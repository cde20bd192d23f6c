import type { SharedWasmMemory } from '@whisker/model-core/kernels'
import type { BatchRecipe } from '../augment/batch-recipe.ts'
import type { Concrete } from '../core/backend.ts'
import type { PixelStore } from '../data/pixel-store.ts'
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
 * copies through messages): the training state (`TrainState`: the weights and the optimiser's state, which
 * the workers update range by range after each step, and one gradient slot per worker), the training photos'
 * bytes, the batch's one-hot labels, and the photos the workers answer (validation) with their probabilities.
 */
export interface TrainWorkerData {
  backend: Concrete
  recipe: SeedCnnRecipe
  /** How each worker makes its rows of a batch from their pixels. */
  batch: BatchRecipe
  rank: number
  workers: number
  /** The training state (`trainStateViews`), in a shared wasm memory: flat-adam.wat steps Adam in it. */
  state: SharedWasmMemory
  /** The optimiser's moments per weight (`momentsPerWeight`). */
  perWeight: number
  /** The training photos: each step names its rows of them. */
  photos: PixelStore
  /** Photos to answer (validation), a round at a time. */
  inputs: SharedArrayBuffer
  labels: SharedArrayBuffer
  outputs: SharedArrayBuffer
}

/** The training state's arrays, in one shared buffer: the same views on the main thread and every worker. */
export interface TrainState {
  weights: Float32Array
  /** The optimiser's per-weight state (`FlatOptimizer.moments`). */
  moments: Float32Array
  /** One gradient slot per worker, in rank order. */
  slots: Float32Array[]
}

/** Bytes of a training state for `total` weights: weights, `perWeight` moments each, one slot per worker. */
export const trainStateBytes = (total: number, perWeight: number, workers: number): number =>
  (1 + perWeight + workers) * total * 4

export function trainStateViews(
  buffer: SharedArrayBuffer,
  total: number,
  perWeight: number,
  workers: number,
): TrainState {
  const view = (at: number, length: number) => new Float32Array(buffer, at * total * 4, length)
  return {
    weights: view(0, total),
    moments: view(1, perWeight * total),
    slots: Array.from({ length: workers }, (_, rank) => view(1 + perWeight + rank, total)),
  }
}

/**
 * Train on batch rows [first, first + rows.length) of a batch of `total`, at optimiser step `step`; `seed` is
 * the batch's (`prepareBatch`), `rows` those batch rows' photos in the store.
 */
export interface StepRequest {
  kind: 'gradient'
  step: number
  seed: number
  first: number
  total: number
  rows: Int32Array
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
