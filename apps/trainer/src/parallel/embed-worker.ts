/**
 * One embedding worker: its own tfjs instance (own wasm module, own thread) holding the backbone's
 * exported graph. It answers `embed` requests from `createParallelEmbedder` with the rows it computed.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createEmbedder, loadAnyBackbone } from '@whisker/model-core/training'
import { selectBackend } from '../core/backend.ts'
import type { EmbedRequest, EmbedWorkerData, WorkerReply } from './embed-protocol.ts'

const port = parentPort
if (!port) throw new Error('embed-worker.ts runs as a worker thread only')
const setup = workerData as EmbedWorkerData

try {
  await selectBackend(setup.backend)
  const backbone = await loadAnyBackbone(setup.source)
  const embedder = await createEmbedder(backbone)
  if (backbone.kind === 'layers') backbone.model.dispose()
  port.postMessage({ kind: 'ready', dim: embedder.dim } satisfies WorkerReply)
  port.on('message', async (request: EmbedRequest | 'close') => {
    if (request === 'close') {
      embedder.dispose()
      port.close()
      return
    }
    try {
      const rows = await embedder.embed(request.pixels, request.count)
      // Transferred, not copied: the buffer moves to the main thread.
      port.postMessage({ kind: 'rows', id: request.id, rows } satisfies WorkerReply, [
        rows.buffer as ArrayBuffer,
      ])
    } catch (error) {
      port.postMessage({ kind: 'failed', id: request.id, message: String(error) } satisfies WorkerReply)
    }
  })
} catch (error) {
  port.postMessage({ kind: 'failed', id: -1, message: String(error) } satisfies WorkerReply)
}
