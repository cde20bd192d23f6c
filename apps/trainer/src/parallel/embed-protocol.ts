import type { BackboneSource } from '@whisker/model-core/training'
import type { Concrete } from '../core/backend.ts'

/** What an embedding worker is started with: where to load the backbone from and which backend to run. */
export interface EmbedWorkerData {
  source: BackboneSource
  backend: Concrete
}

/** A shard of one batch: `count` model inputs back to back. */
export interface EmbedRequest {
  id: number
  pixels: Float32Array
  count: number
}

export type WorkerReply =
  | { kind: 'ready'; dim: number }
  | { kind: 'rows'; id: number; rows: Float32Array }
  | { kind: 'failed'; id: number; message: string }
