import type { Concrete } from '../core/backend.ts'

/** The network a training worker builds: the same architecture the main thread trains. */
export interface SeedCnnRecipe {
  kind: 'seed-cnn'
  classes: number
  seed: number
  size: number
}

/**
 * What a training worker is started with. The four buffers are shared by every worker and the main thread
 * (no copies through messages): the weights the main thread writes before each step, the batch's inputs and
 * one-hot labels, and one gradient slot per worker.
 */
export interface TrainWorkerData {
  backend: Concrete
  recipe: SeedCnnRecipe
  rank: number
  workers: number
  weights: SharedArrayBuffer
  gradients: SharedArrayBuffer
  inputs: SharedArrayBuffer
  labels: SharedArrayBuffer
}

/** Train on batch rows [first, first + count) of a batch of `total`, at optimiser step `step`. */
export interface StepRequest {
  step: number
  first: number
  count: number
  total: number
}

export type TrainWorkerReply =
  | { kind: 'ready' }
  /** `loss` is this shard's share of the batch mean; `correct` its top-1 hits. */
  | { kind: 'done'; loss: number; correct: number }
  | { kind: 'failed'; message: string }
