import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { ScheduledOptimizer } from '@whisker/model-core/training'
import type { Concrete } from '../core/backend.ts'
import { defaultWorkers, parallelBackend } from './parallel-embedder.ts'
import { weightLayout } from './shard-gradient.ts'
import type { SeedCnnRecipe, StepRequest, TrainWorkerData, TrainWorkerReply } from './train-protocol.ts'

/**
 * One optimiser step on a batch: what `fitNetwork` calls, in process (`trainOnBatch`) or across workers.
 * Returns the batch's mean loss and accuracy, as `trainOnBatch` with an accuracy metric does.
 */
export interface TrainStepper {
  step: (xs: tf.Tensor4D, ys: tf.Tensor2D) => Promise<[number, number]>
  dispose: () => void
}

export class TrainWorkerError extends Error {
  readonly code = 'TRAIN_WORKER_FAILED'
  constructor(message: string) {
    super(`A training worker failed: ${message}`)
    this.name = 'TrainWorkerError'
  }
}

export function inProcessStepper(model: tfl.LayersModel): TrainStepper {
  return {
    step: async (xs, ys) => (await model.trainOnBatch(xs, ys)) as [number, number],
    dispose: () => {},
  }
}

interface Lane {
  worker: Worker
  pending?: { resolve: (reply: TrainWorkerReply) => void; reject: (error: Error) => void }
}

/**
 * Data-parallel training across worker threads (tfjs-backend-wasm runs one thread per instance in Node).
 * Each step the main thread writes the model's weights and the batch to shared memory; worker `r` takes
 * rows [r·⌈B/W⌉, (r + 1)·⌈B/W⌉), computes its share of the batch-mean loss's gradient on its own replica and
 * writes it to its slot; the main thread adds the slots in rank order and steps `schedule.optimizer` on its own model, which
 * stays the one that is evaluated, checkpointed and exported. Every part is deterministic, so a seed and a
 * worker count give the same weights every time; dropout masks are drawn per (step, rank), so another worker
 * count draws other masks.
 */
export async function createParallelStepper(
  model: tfl.LayersModel,
  schedule: ScheduledOptimizer,
  options: { recipe: SeedCnnRecipe; backend: Concrete; workers: number; batchSize: number },
): Promise<TrainStepper> {
  const { recipe, workers, batchSize } = options
  const layout = weightLayout(model)
  const rowPixels = recipe.size * recipe.size * 3
  const shared = {
    weights: new SharedArrayBuffer(layout.total * 4),
    gradients: new SharedArrayBuffer(workers * layout.total * 4),
    inputs: new SharedArrayBuffer(batchSize * rowPixels * 4),
    labels: new SharedArrayBuffer(batchSize * recipe.classes * 4),
  }
  const weights = new Float32Array(shared.weights)
  const gradients = new Float32Array(shared.gradients)
  const inputs = new Float32Array(shared.inputs)
  const labels = new Float32Array(shared.labels)
  const lanes: Lane[] = []
  const started = await Promise.allSettled(
    Array.from({ length: workers }, (_, rank) => {
      const data: TrainWorkerData = { backend: options.backend, recipe, rank, workers, ...shared }
      const lane: Lane = {
        worker: new Worker(new URL('./train-worker.ts', import.meta.url), { workerData: data }),
      }
      lanes.push(lane)
      return listen(lane)
    }),
  )
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    for (const lane of lanes) void lane.worker.terminate()
    throw failed.reason
  }
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const stepper: TrainStepper = {
    async step(xs, ys) {
      const total = xs.shape[0]
      if (total > batchSize) throw new RangeError(`a batch of ${total} exceeds the ${batchSize} shared rows`)
      layout.write(model, weights)
      inputs.set(xs.dataSync())
      labels.set(ys.dataSync())
      const per = Math.ceil(total / workers)
      const busy = lanes.slice(0, Math.ceil(total / per))
      const replies = await Promise.all(
        busy.map((lane, rank) => {
          const first = rank * per
          const request: StepRequest = {
            step: schedule.step - 1,
            first,
            count: Math.min(per, total - first),
            total,
          }
          return ask(lane, request)
        }),
      )
      // Slots added in rank order, in wasm (a JavaScript loop over shared memory is ~30× slower): the same
      // sum, to the bit, every time.
      const named = tf.tidy(() => {
        const slots = busy.map((_, rank) =>
          tf.tensor1d(gradients.subarray(rank * layout.total, (rank + 1) * layout.total)),
        )
        const sum = slots.length === 1 ? slots[0]! : tf.addN(slots)
        return variables.map((v, i) => ({
          name: v.name,
          tensor: tf.reshape(tf.slice(sum, layout.offsets[i]!, v.size), v.shape),
        }))
      })
      schedule.optimizer.applyGradients(named)
      tf.dispose(named.map((n) => n.tensor))
      const loss = replies.reduce((n, r) => n + (r.kind === 'done' ? r.loss : 0), 0)
      const correct = replies.reduce((n, r) => n + (r.kind === 'done' ? r.correct : 0), 0)
      // float32, as trainOnBatch's metric (a tensor) reports it.
      return [loss, Math.fround(correct / total)]
    },
    dispose() {
      for (const lane of lanes) lane.worker.postMessage('close')
    },
  }
  return stepper
}

/** Resolves on the worker's `ready`; afterwards routes each reply to the request waiting for it. */
function listen(lane: Lane): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      reject(error)
      lane.pending?.reject(error)
      lane.pending = undefined
    }
    lane.worker.on('error', (error) => fail(new TrainWorkerError(error.message)))
    lane.worker.on('exit', (code) => {
      if (code !== 0) fail(new TrainWorkerError(`exited with code ${code}`))
    })
    lane.worker.on('message', (reply: TrainWorkerReply) => {
      if (reply.kind === 'ready') return resolve()
      const pending = lane.pending
      lane.pending = undefined
      if (reply.kind === 'failed') {
        const error = new TrainWorkerError(reply.message)
        if (pending) pending.reject(error)
        else fail(error)
      } else pending?.resolve(reply)
    })
  })
}

function ask(lane: Lane, request: StepRequest): Promise<TrainWorkerReply> {
  return new Promise((resolve, reject) => {
    lane.pending = { resolve, reject }
    lane.worker.postMessage(request)
  })
}

/**
 * The stepper a run uses: worker threads on the single-threaded backends (wasm, cpu) when more than one is
 * asked for or available, `trainOnBatch` in this thread otherwise (native tfjs is already multi-threaded).
 * With the next batch augmented while a step runs, two workers on 2 cores trained the seed CNN ×1.3–1.6
 * faster than one at 150 px and ×1.05–1.4 at the default 64 px (2026-12-07: training bench and runs by hand),
 * where two separate one-worker processes reached ×1.8–2.1 and ×1.7–1.9. The scheme pays per step what
 * separate processes do not: each step waits for the slower worker, half a batch costs each worker more than
 * half (costs per step that do not shrink with the rows), and the optimiser runs on this thread between
 * steps. On a loaded machine, pass --workers 1.
 */
export async function stepperFor(
  model: tfl.LayersModel,
  schedule: ScheduledOptimizer,
  options: { recipe: SeedCnnRecipe; backend: string; workers?: number; batchSize: number },
): Promise<{ stepper: TrainStepper; workers: number }> {
  const workers = options.workers ?? defaultWorkers()
  const backend = parallelBackend(options.backend, workers)
  if (backend) {
    const stepper = await createParallelStepper(model, schedule, { ...options, backend, workers })
    return { stepper, workers }
  }
  return { stepper: inProcessStepper(model), workers: 1 }
}
