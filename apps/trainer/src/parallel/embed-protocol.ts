import type { BackboneSource } from '@whisker/model-core/training'
import type { Concrete } from '../core/backend.ts'
import type { InputRecipe } from '../data/embed.ts'

/** What an embedding worker is started with: where to load the backbone from and which backend to run. */
export interface EmbedWorkerData {
  source: BackboneSource
  backend: Concrete
  /**
   * Embed with the trunk below the backbone's top `trunkLayers` layers (the features fine-tuning trains the
   * top on, `splitBackbone`) instead of the pooled backbone.
   */
  trunkLayers?: number
}

/**
 * A shard of one batch: `lengths.length` encoded photos back to back in `bytes` (one buffer, transferred),
 * each with its content hash, and how to turn them into the backbone's input.
 */
export interface EmbedRequest {
  id: number
  bytes: Uint8Array
  lengths: number[]
  photos: string[]
  recipe: InputRecipe
}

export type WorkerReply =
  | { kind: 'ready'; dim: number }
  /** `rows`: the decodable photos' embeddings back to back; `unreadable[i]`: why photo i was not, or null. */
  | { kind: 'rows'; id: number; rows: Float32Array; unreadable: (string | null)[] }
  | { kind: 'failed'; id: number; message: string }
