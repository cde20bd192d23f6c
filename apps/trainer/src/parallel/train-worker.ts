/**
 * One training worker: its own tfjs instance (own wasm module, own thread) holding a replica of the network.
 * For each step it reads the current weights from shared memory, makes its rows of the batch from their
 * photos in the shared store (augmentation, scaling), computes their gradient and writes it to its own slot.
 * Once every slot is in, it steps the optimiser on its range of the weights. Between epochs it answers its share of the
 * validation photos.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { flatAdamKernel } from '@whisker/model-core/kernels'
import { buildSeedCnn, setDropoutStep } from '@whisker/model-core/training'
import { predictUnseen, prepareBatch } from '../augment/batch-recipe.ts'
import { selectBackend } from '../core/backend.ts'
import { gatherRows, rowLength } from '../data/pixel-store.ts'
import { applyFlatStep } from './flat-optimizer.ts'
import { shardGradient, weightLayout } from './shard-gradient.ts'
import {
  type TrainRequest,
  type TrainWorkerData,
  type TrainWorkerReply,
  trainStateViews,
} from './train-protocol.ts'

const port = parentPort
if (!port) throw new Error('train-worker.ts runs as a worker thread only')
const setup = workerData as TrainWorkerData

try {
  await selectBackend(setup.backend)
  const model: tfl.LayersModel = buildSeedCnn(setup.recipe)
  const layout = weightLayout(model)
  const { weights, moments, slots } = trainStateViews(
    setup.state.buffer,
    layout.total,
    setup.perWeight,
    setup.workers,
  )
  const gradients = slots[setup.rank]!
  // Adam in flat-adam.wat where wasm SIMD runs, the JS loop elsewhere: the same bits either way.
  const simd = flatAdamKernel(setup.state)
  const inputs = new Float32Array(setup.inputs)
  const labels = new Float32Array(setup.labels)
  const outputs = new Float32Array(setup.outputs)
  const pixelsPerRow = rowLength(setup.recipe.size)
  port.postMessage({ kind: 'ready' } satisfies TrainWorkerReply)
  port.on('message', (request: TrainRequest | 'close') => {
    if (request === 'close') {
      model.dispose()
      port.close()
      return
    }
    try {
      if (request.kind === 'update') {
        const { constants, from, to } = request
        applyFlatStep(constants, moments, slots.slice(0, request.slots), weights, from, to, simd)
        port.postMessage({ kind: 'updated' } satisfies TrainWorkerReply)
        return
      }
      layout.read(model, weights)
      const { size, classes } = setup.recipe
      if (request.kind === 'predict') {
        const { first, count } = request
        const rows = inputs.subarray(first * pixelsPerRow, (first + count) * pixelsPerRow)
        const pixels = tf.tensor4d(rows, [count, size, size, 3])
        outputs.set(predictUnseen(model, pixels, setup.batch), first * classes)
        pixels.dispose()
        port.postMessage({ kind: 'predicted' } satisfies TrainWorkerReply)
        return
      }
      // Each worker draws its own dropout masks, reproducibly: one stream per (step, rank).
      setDropoutStep(model, request.step * setup.workers + setup.rank)
      const { first, rows } = request
      // Its own rows gathered and augmented here, beside its share of the step, rather than the whole batch
      // on the main thread: there that work ran on a core the workers need and held up whichever worker it
      // landed beside.
      const xs = tf.tidy(() => prepareBatch(gatherRows(setup.photos, rows), setup.batch, request.seed, first))
      const shard = shardGradient(
        model,
        xs,
        labels.subarray(first * classes, (first + rows.length) * classes),
        request.total,
        gradients,
      )
      xs.dispose()
      port.postMessage({
        kind: 'gradient',
        loss: shard.loss,
        correct: shard.correct,
      } satisfies TrainWorkerReply)
    } catch (error) {
      port.postMessage({ kind: 'failed', message: String(error) } satisfies TrainWorkerReply)
    }
  })
} catch (error) {
  port.postMessage({ kind: 'failed', message: String(error) } satisfies TrainWorkerReply)
}
