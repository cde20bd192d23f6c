import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import {
  type AnyBackbone,
  type BackboneSource,
  type BackboneSplit,
  createEmbedder,
  createTrunkEmbedder,
  type Embedder,
  type LoadedBackbone,
} from '@whisker/model-core/training'
import type { Concrete } from '../core/backend.ts'
import type { PhotoEmbedder, PhotoRow } from '../data/embed.ts'
import type { EmbedRequest, EmbedWorkerData, WorkerReply } from './embed-protocol.ts'

/**
 * tfjs-backend-wasm runs one thread in Node, so one process embeds on one core. This embedder shards each
 * batch by photo across `workers` worker threads, each with its own tfjs-wasm instance and copy of the
 * backbone graph; each worker decodes, prepares and embeds its shard, and the rows come back in order.
 * Every row is computed by the same code and float32 graph on the same backend, so the result is the
 * in-process embedder's, whatever the worker count (tested).
 */
export class EmbedWorkerError extends Error {
  readonly code = 'EMBED_WORKER_FAILED'
  constructor(message: string) {
    super(`An embedding worker failed: ${message}`)
    this.name = 'EmbedWorkerError'
  }
}

/** Default worker count: the cores this process may use. */
export function defaultWorkers(): number {
  return availableParallelism()
}

type Shard = Extract<WorkerReply, { kind: 'rows' }>

interface Lane {
  worker: Worker
  waiting: Map<number, { resolve: (shard: Shard) => void; reject: (error: Error) => void }>
}

export async function createParallelEmbedder(
  source: BackboneSource,
  backend: Concrete,
  workers: number,
  trunkLayers?: number,
): Promise<PhotoEmbedder> {
  const data: EmbedWorkerData = { source, backend, trunkLayers }
  const started = await Promise.allSettled(Array.from({ length: workers }, () => startLane(data)))
  const lanes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.lane] : []))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    for (const lane of lanes) void lane.worker.terminate()
    throw failed.reason
  }
  const dim = (started[0] as PromiseFulfilledResult<{ dim: number }>).value.dim
  let nextId = 0
  return {
    dim,
    async embedPhotos(photos, recipe) {
      const per = Math.ceil(photos.length / lanes.length)
      const shards: Promise<Shard>[] = []
      for (let first = 0, lane = 0; first < photos.length; first += per, lane++) {
        const shard = photos.slice(first, first + per)
        // One buffer per shard, transferred (moved, not serialized) to its worker.
        const bytes = new Uint8Array(shard.reduce((n, p) => n + p.bytes.byteLength, 0))
        let at = 0
        for (const p of shard) {
          bytes.set(p.bytes, at)
          at += p.bytes.byteLength
        }
        const lengths = shard.map((p) => p.bytes.byteLength)
        const names = shard.map((p) => p.photo)
        shards.push(request(lanes[lane]!, { id: nextId++, bytes, lengths, photos: names, recipe }))
      }
      const out: PhotoRow[] = []
      for (const { rows, unreadable } of await Promise.all(shards)) {
        let row = 0
        for (const reason of unreadable) {
          if (reason !== null) out.push({ unreadable: reason })
          else {
            out.push(rows.slice(row * dim, (row + 1) * dim))
            row++
          }
        }
      }
      return out
    },
    dispose() {
      for (const lane of lanes) lane.worker.postMessage('close')
    },
  }
}

function startLane(data: EmbedWorkerData): Promise<{ lane: Lane; dim: number }> {
  const worker = new Worker(new URL('./embed-worker.ts', import.meta.url), { workerData: data })
  const lane: Lane = { worker, waiting: new Map() }
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      reject(error)
      for (const pending of lane.waiting.values()) pending.reject(error)
      lane.waiting.clear()
    }
    worker.on('error', (error) => fail(new EmbedWorkerError(error.message)))
    worker.on('exit', (code) => {
      if (code !== 0) fail(new EmbedWorkerError(`exited with code ${code}`))
    })
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'ready') resolve({ lane, dim: reply.dim })
      else if (reply.kind === 'rows') {
        lane.waiting.get(reply.id)?.resolve(reply)
        lane.waiting.delete(reply.id)
      } else if (reply.id === -1) fail(new EmbedWorkerError(reply.message))
      else {
        lane.waiting.get(reply.id)?.reject(new EmbedWorkerError(reply.message))
        lane.waiting.delete(reply.id)
      }
    })
  })
}

function request(lane: Lane, message: EmbedRequest): Promise<Shard> {
  return new Promise((resolve, reject) => {
    lane.waiting.set(message.id, { resolve, reject })
    lane.worker.postMessage(message, [message.bytes.buffer as ArrayBuffer])
  })
}

/**
 * The backend to run worker threads on, when there should be any: only the single-threaded backends (wasm,
 * cpu) and only for more than one worker; native tfjs is already multi-threaded.
 */
export function parallelBackend(backend: string, workers: number): Concrete | undefined {
  return workers > 1 && (backend === 'wasm' || backend === 'cpu') ? backend : undefined
}

interface EmbedderOptions {
  backbone: string
  modelsDir?: string
  workers?: number
}

/**
 * The embedder a run uses: worker threads where `parallelBackend` says so, else `inProcess()` in this
 * thread. With `trunkLayers`, each worker embeds with the trunk below that cut, as `inProcess` must too.
 */
async function chooseEmbedder(
  options: EmbedderOptions,
  backend: string,
  inProcess: () => Promise<Embedder>,
  trunkLayers?: number,
): Promise<{ embedder: Embedder | PhotoEmbedder; workers: number }> {
  const workers = options.workers ?? defaultWorkers()
  const parallel = parallelBackend(backend, workers)
  if (!parallel) return { embedder: await inProcess(), workers: 1 }
  const source = { backbone: options.backbone, modelsDir: options.modelsDir }
  return { embedder: await createParallelEmbedder(source, parallel, workers, trunkLayers), workers }
}

/** The pooled backbone's embedder, on worker threads or in this thread (`chooseEmbedder`). */
export function embedderFor(backbone: AnyBackbone, options: EmbedderOptions, backend: string) {
  return chooseEmbedder(options, backend, () => createEmbedder(backbone))
}

/**
 * The same for fine-tuning's trunk features: each worker loads the backbone and makes the same cut
 * (`splitBackbone` is deterministic), so the features are the in-process trunk's, bit for bit.
 */
export function trunkEmbedderFor(
  backbone: LoadedBackbone,
  split: BackboneSplit,
  layers: number,
  options: EmbedderOptions,
  backend: string,
) {
  return chooseEmbedder(options, backend, () => createTrunkEmbedder(backbone, split), layers)
}
