/**
 * One training worker: its own tfjs instance (own wasm module, own thread) holding a replica of the network.
 * For each step it reads the current weights from shared memory, computes the gradient of its rows of the
 * batch and writes it to its own slot; the main thread sums the slots and steps the optimiser.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type * as tfl from '@tensorflow/tfjs-layers'
import { buildSeedCnn, setDropoutStep } from '@whisker/model-core/training'
import { selectBackend } from '../core/backend.ts'
import { shardGradient, weightLayout } from './shard-gradient.ts'
import type { StepRequest, TrainWorkerData, TrainWorkerReply } from './train-protocol.ts'

const port = parentPort
if (!port) throw new Error('train-worker.ts runs as a worker thread only')
const setup = workerData as TrainWorkerData

try {
  await selectBackend(setup.backend)
  const model: tfl.LayersModel = buildSeedCnn(setup.recipe)
  const layout = weightLayout(model)
  const weights = new Float32Array(setup.weights)
  const gradients = new Float32Array(setup.gradients, setup.rank * layout.total * 4, layout.total)
  const inputs = new Float32Array(setup.inputs)
  const labels = new Float32Array(setup.labels)
  const pixelsPerRow = setup.recipe.size * setup.recipe.size * 3
  port.postMessage({ kind: 'ready' } satisfies TrainWorkerReply)
  port.on('message', (request: StepRequest | 'close') => {
    if (request === 'close') {
      model.dispose()
      port.close()
      return
    }
    try {
      layout.read(model, weights)
      // Each worker draws its own dropout masks, reproducibly: one stream per (step, rank).
      setDropoutStep(model, request.step * setup.workers + setup.rank)
      const { first, count } = request
      const shard = shardGradient(
        model,
        inputs.subarray(first * pixelsPerRow, (first + count) * pixelsPerRow),
        labels.subarray(first * setup.recipe.classes, (first + count) * setup.recipe.classes),
        [count, setup.recipe.size, setup.recipe.size, 3],
        request.total,
        gradients,
      )
      port.postMessage({ kind: 'done', loss: shard.loss, correct: shard.correct } satisfies TrainWorkerReply)
    } catch (error) {
      port.postMessage({ kind: 'failed', message: String(error) } satisfies TrainWorkerReply)
    }
  })
} catch (error) {
  port.postMessage({ kind: 'failed', message: String(error) } satisfies TrainWorkerReply)
}
