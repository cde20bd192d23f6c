import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import {
  type AnyBackbone,
  type BackboneSource,
  createEmbedder,
  type Embedder,
} from '@whisker/model-core/training'
import type { Concrete } from '../core/backend.ts'
import type { EmbedRequest, EmbedWorkerData, WorkerReply } from './embed-protocol.ts'

/**
 * tfjs-backend-wasm runs one thread in Node, so one process embeds on one core. This embedder shards each
 * batch by photo across `workers` worker threads, each with its own tfjs-wasm instance and copy of the
 * backbone graph, and puts the rows back in order. Every row is computed by the same float32 graph on the
 * same backend, so the result is the in-process embedder's, whatever the worker count (tested).
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

interface Lane {
  worker: Worker
  waiting: Map<number, { resolve: (rows: Float32Array) => void; reject: (error: Error) => void }>
}

export async function createParallelEmbedder(
  source: BackboneSource,
  backend: Concrete,
  workers: number,
  inputSize: number,
): Promise<Embedder> {
  const data: EmbedWorkerData = { source, backend }
  const started = await Promise.allSettled(Array.from({ length: workers }, () => startLane(data)))
  const lanes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.lane] : []))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    for (const lane of lanes) void lane.worker.terminate()
    throw failed.reason
  }
  const dim = (started[0] as PromiseFulfilledResult<{ dim: number }>).value.dim
  const inputLength = inputSize * inputSize * 3
  let nextId = 0
  return {
    dim,
    inputSize,
    async embed(pixels, count) {
      const per = Math.ceil(count / lanes.length)
      const shards: Promise<Float32Array>[] = []
      for (let first = 0, lane = 0; first < count; first += per, lane++) {
        const n = Math.min(per, count - first)
        // A copy of the shard, transferred (moved, not serialized) to its worker.
        const shard = pixels.slice(first * inputLength, (first + n) * inputLength)
        shards.push(request(lanes[lane]!, { id: nextId++, pixels: shard, count: n }))
      }
      const out = new Float32Array(count * dim)
      let offset = 0
      for (const rows of await Promise.all(shards)) {
        out.set(rows, offset)
        offset += rows.length
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
        lane.waiting.get(reply.id)?.resolve(reply.rows)
        lane.waiting.delete(reply.id)
      } else if (reply.id === -1) fail(new EmbedWorkerError(reply.message))
      else {
        lane.waiting.get(reply.id)?.reject(new EmbedWorkerError(reply.message))
        lane.waiting.delete(reply.id)
      }
    })
  })
}

function request(lane: Lane, message: EmbedRequest): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    lane.waiting.set(message.id, { resolve, reject })
    lane.worker.postMessage(message, [message.pixels.buffer as ArrayBuffer])
  })
}

/**
 * The embedder a run uses: worker threads on the single-threaded backends (wasm, cpu), the in-process
 * embedder on native tfjs (already multi-threaded) or when one worker is asked for.
 */
export async function embedderFor(
  backbone: AnyBackbone,
  options: { backbone: string; modelsDir?: string; workers?: number },
  backend: string,
): Promise<{ embedder: Embedder; workers: number }> {
  const workers = options.workers ?? defaultWorkers()
  if (workers > 1 && (backend === 'wasm' || backend === 'cpu')) {
    const source = { backbone: options.backbone, modelsDir: options.modelsDir }
    return {
      embedder: await createParallelEmbedder(source, backend, workers, backbone.spec.inputSize),
      workers,
    }
  }
  return { embedder: await createEmbedder(backbone), workers: 1 }
}
