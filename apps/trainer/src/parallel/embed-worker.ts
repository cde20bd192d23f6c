/**
 * One embedding worker: its own tfjs instance (own wasm module, own thread) holding the backbone's
 * exported graph, or the trunk's below a fine-tuning cut. It answers `embed` requests from `createParallelEmbedder`: decodes its shard of photos,
 * prepares and embeds them exactly as `embedFiles` does in-process (the same `embedPhotos`), and sends back
 * the rows.
 */
import { parentPort, workerData } from 'node:worker_threads'
import {
  createEmbedder,
  createTrunkEmbedder,
  type Embedder,
  loadAnyBackbone,
  requireLayers,
  splitBackbone,
} from '@whisker/model-core/training'
import { selectBackend } from '../core/backend.ts'
import { embedPhotos, type PhotoBytes } from '../data/embed.ts'
import type { EmbedRequest, EmbedWorkerData, WorkerReply } from './embed-protocol.ts'

const port = parentPort
if (!port) throw new Error('embed-worker.ts runs as a worker thread only')
const setup = workerData as EmbedWorkerData

try {
  await selectBackend(setup.backend)
  const backbone = await loadAnyBackbone(setup.source)
  let embedder: Embedder
  if (setup.trunkLayers === undefined) {
    embedder = await createEmbedder(backbone)
    if (backbone.kind === 'layers') backbone.model.dispose()
  } else {
    const layers = requireLayers(backbone, 'fine-tuning (--fine-tune)')
    embedder = await createTrunkEmbedder(layers, splitBackbone(layers.model, setup.trunkLayers))
  }
  port.postMessage({ kind: 'ready', dim: embedder.dim } satisfies WorkerReply)
  port.on('message', async (request: EmbedRequest | 'close') => {
    if (request === 'close') {
      embedder.dispose()
      port.close()
      return
    }
    try {
      const photos: PhotoBytes[] = []
      for (let i = 0, at = 0; i < request.lengths.length; at += request.lengths[i]!, i++) {
        photos.push({
          bytes: request.bytes.subarray(at, at + request.lengths[i]!),
          photo: request.photos[i]!,
        })
      }
      const outcomes = await embedPhotos(embedder, photos, request.recipe)
      const embedded = outcomes.filter((row) => row instanceof Float32Array)
      const rows = new Float32Array(embedded.length * embedder.dim)
      embedded.forEach((row, i) => {
        rows.set(row, i * embedder.dim)
      })
      const unreadable = outcomes.map((row) => (row instanceof Float32Array ? null : row.unreadable))
      // Transferred, not copied: the buffer moves to the main thread.
      port.postMessage({ kind: 'rows', id: request.id, rows, unreadable } satisfies WorkerReply, [
        rows.buffer as ArrayBuffer,
      ])
    } catch (error) {
      port.postMessage({ kind: 'failed', id: request.id, message: String(error) } satisfies WorkerReply)
    }
  })
} catch (error) {
  port.postMessage({ kind: 'failed', id: -1, message: String(error) } satisfies WorkerReply)
}
