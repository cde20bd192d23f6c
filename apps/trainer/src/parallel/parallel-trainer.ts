import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { sharedMemory } from '@whisker/model-core/kernels'
import type { ScheduledOptimizer } from '@whisker/model-core/training'
import { type BatchRecipe, predictUnseen, prepareBatch } from '../augment/batch-recipe.ts'
import type { Concrete } from '../core/backend.ts'
import { gatherRows, type PixelStore, rowLength } from '../data/pixel-store.ts'
import { type FlatOptimizer, flatOptimizerFor, momentsPerWeight } from './flat-optimizer.ts'
import { defaultWorkers, parallelBackend } from './parallel-embedder.ts'
import { weightLayout } from './shard-gradient.ts'
import {
  type SeedCnnRecipe,
  type StepRequest,
  type TrainRequest,
  type TrainWorkerData,
  type TrainWorkerReply,
  trainStateBytes,
  trainStateViews,
} from './train-protocol.ts'

/** One training batch as it leaves the photo set: made into the network's input where the step runs. */
export interface TrainBatch {
  /** The batch's photos: rows of the store the stepper was made with. */
  rows: Int32Array
  /** One-hot. */
  labels: tf.Tensor2D
  /** Draws the batch's augmentation (`prepareBatch`). */
  seed: number
}

/**
 * One optimiser step on a batch: what `fitNetwork` calls, in process (`trainOnBatch`) or across workers.
 * Returns the batch's mean loss and accuracy, as `trainOnBatch` with an accuracy metric does.
 */
export interface TrainStepper {
  step: (batch: TrainBatch) => Promise<[number, number]>
  /**
   * Brings the model's weights and the optimiser's state up to date with every step taken, before they are
   * evaluated or checkpointed: steps across workers keep both in shared memory meanwhile.
   */
  settle: () => Promise<void>
  /**
   * The network's probabilities for photos of 0–255 pixels (NHWC), row after row, with the weights of every
   * step taken, in inference mode (no dropout, no augmentation): how each epoch's validation is answered.
   */
  predict: (pixels: tf.Tensor4D) => Promise<Float32Array>
  dispose: () => void
}

/**
 * Photos answered in one round by `predict`, across the workers (and the shared input buffer's least size in
 * rows). Validation at 64 px answered 600 photos in 565 ms on two workers in rounds of 64 rows and 644 ms in
 * rounds of 32 (952 ms in this thread alone): a worker's share of a round costs little more for more rows.
 */
export const PREDICT_ROWS = 64

export class TrainWorkerError extends Error {
  readonly code = 'TRAIN_WORKER_FAILED'
  constructor(message: string) {
    super(`A training worker failed: ${message}`)
    this.name = 'TrainWorkerError'
  }
}

export function inProcessStepper(
  model: tfl.LayersModel,
  recipe: BatchRecipe,
  photos: PixelStore,
): TrainStepper {
  return {
    async step({ rows, labels, seed }) {
      const xs = tf.tidy(() => prepareBatch(gatherRows(photos, rows), recipe, seed))
      try {
        return (await model.trainOnBatch(xs, labels)) as [number, number]
      } finally {
        xs.dispose()
      }
    },
    settle: async () => {},
    predict: async (pixels) => predictUnseen(model, pixels, recipe),
    dispose: () => {},
  }
}

interface Lane {
  worker: Worker
  pending?: { resolve: (reply: TrainWorkerReply) => void; reject: (error: Error) => void }
}

/**
 * Data-parallel training across worker threads (tfjs-backend-wasm runs one thread per instance in Node). The
 * weights and the training photos live in shared memory. Each step the main thread sends the batch's row
 * numbers and writes its labels; worker `r` takes batch rows [r·⌈B/W⌉, (r + 1)·⌈B/W⌉), gathers their
 * pixels from the photo store itself, computes their share of the batch-mean loss's gradient on its own
 * replica and writes it to its slot. Then each worker takes a range of the weights and steps the flat twin
 * of `schedule.optimizer` on it, the slots added in rank order (`flat-optimizer.ts`: tfjs's arithmetic, bit
 * for bit). `settle` copies weights and optimiser state back to the model and `schedule.optimizer`, which stay
 * the ones that are checkpointed and exported; `predict` answers photos on the workers, a share each. Every
 * part is deterministic, so a seed and a worker count give the same weights every time; dropout masks are
 * drawn per (step, rank), so another worker count draws other masks.
 */
export async function createParallelStepper(
  model: tfl.LayersModel,
  schedule: ScheduledOptimizer,
  options: {
    recipe: SeedCnnRecipe
    batch: BatchRecipe
    backend: Concrete
    workers: number
    batchSize: number
    /** The training photos, which every batch's rows index. */
    photos: PixelStore
  },
): Promise<TrainStepper> {
  const { recipe, workers, batchSize } = options
  const layout = weightLayout(model)
  const rowPixels = rowLength(recipe.size)
  const perWeight = momentsPerWeight(schedule.optimizer)
  // In a wasm memory, so that the workers can step Adam there with flat-adam.wat (the JS loop's arithmetic,
  // bit for bit, several times faster).
  const memory = sharedMemory(trainStateBytes(layout.total, perWeight, workers))
  const state = trainStateViews(memory.buffer, layout.total, perWeight, workers)
  const shared = {
    state: memory,
    perWeight,
    photos: options.photos,
    inputs: new SharedArrayBuffer(PREDICT_ROWS * rowPixels * 4),
    labels: new SharedArrayBuffer(batchSize * recipe.classes * 4),
    outputs: new SharedArrayBuffer(PREDICT_ROWS * recipe.classes * 4),
  }
  const { weights } = state
  const inputs = new Float32Array(shared.inputs)
  const labels = new Float32Array(shared.labels)
  const outputs = new Float32Array(shared.outputs)
  const lanes: Lane[] = []
  const started = await Promise.allSettled(
    Array.from({ length: workers }, (_, rank) => {
      const data: TrainWorkerData = {
        backend: options.backend,
        recipe,
        batch: options.batch,
        rank,
        workers,
        ...shared,
      }
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
  // Read from the model and the optimiser at the first step, not here: a resumed run restores both after
  // the stepper is made.
  let flat: FlatOptimizer | undefined
  const range = Math.ceil(layout.total / workers)
  // Rows [0, count) shared out as every step and every round of answers shares them: ⌈count / W⌉ each, in
  // rank order, the last share shorter and workers past the rows idle.
  const shares = (count: number) => {
    const per = Math.ceil(count / workers)
    return lanes
      .slice(0, Math.ceil(count / per))
      .map((lane, rank) => ({ lane, first: rank * per, count: Math.min(per, count - rank * per) }))
  }
  const stepper: TrainStepper = {
    async step({ rows, labels: ys, seed }) {
      const total = rows.length
      if (total > batchSize) throw new RangeError(`a batch of ${total} exceeds the ${batchSize} shared rows`)
      if (!flat) {
        layout.write(model, weights)
        flat = await flatOptimizerFor(schedule.optimizer, layout.total, layout.offsets, state.moments)
      }
      labels.set(ys.dataSync())
      const busy = shares(total)
      const replies = await Promise.all(
        busy.map(({ lane, first, count }) => {
          const request: StepRequest = {
            kind: 'gradient',
            step: schedule.step - 1,
            seed,
            first,
            total,
            rows: rows.slice(first, first + count),
          }
          return ask(lane, request)
        }),
      )
      // Every worker then updates its range of the weights from the summed slots, at the rate nextRate() set
      // on the tfjs optimiser for this step.
      const constants = flat.next(Number(schedule.optimizer.getConfig().learningRate))
      await Promise.all(
        lanes.map((lane, rank) =>
          ask(lane, {
            kind: 'update',
            constants,
            slots: busy.length,
            from: Math.min(rank * range, layout.total),
            to: Math.min((rank + 1) * range, layout.total),
          }),
        ),
      )
      const loss = replies.reduce((n, r) => n + (r.kind === 'gradient' ? r.loss : 0), 0)
      const correct = replies.reduce((n, r) => n + (r.kind === 'gradient' ? r.correct : 0), 0)
      // float32, as trainOnBatch's metric (a tensor) reports it.
      return [loss, Math.fround(correct / total)]
    },
    async settle() {
      if (!flat) return
      layout.read(model, weights)
      const previous = await schedule.optimizer.getWeights()
      const state = flat.state(variables, layout.offsets)
      await schedule.optimizer.setWeights(state)
      tf.dispose([...previous, ...state].map((n) => n.tensor))
    },
    async predict(pixels) {
      // The shared weights are current after every step, settled or not. Answered in rounds of the shared
      // buffers' size, each worker taking its share of a round as in a step.
      if (!flat) layout.write(model, weights)
      const rows = pixels.shape[0]
      const probabilities = new Float32Array(rows * recipe.classes)
      const values = pixels.dataSync()
      for (let start = 0; start < rows; start += PREDICT_ROWS) {
        const count = Math.min(PREDICT_ROWS, rows - start)
        inputs.set(values.subarray(start * rowPixels, (start + count) * rowPixels))
        await Promise.all(shares(count).map(({ lane, ...share }) => ask(lane, { kind: 'predict', ...share })))
        probabilities.set(outputs.subarray(0, count * recipe.classes), start * recipe.classes)
      }
      return probabilities
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

function ask(lane: Lane, request: TrainRequest): Promise<TrainWorkerReply> {
  return new Promise((resolve, reject) => {
    lane.pending = { resolve, reject }
    lane.worker.postMessage(request)
  })
}

/**
 * The stepper a run uses: worker threads on the single-threaded backends (wasm, cpu) when more than one is
 * asked for or available, `trainOnBatch` in this thread otherwise (native tfjs is already multi-threaded).
 * Two workers on 2 cores trained the seed CNN ×1.76 faster than one at the default 64 px and ×1.74 at 150 px,
 * where two separate one-worker processes reached ×1.88 and ×1.83 (training bench, 2026-12-08 02:50). While
 * this thread gathered each batch and copied its pixels to the workers, the bench measured ×1.63 at 64 px;
 * while it augmented each batch and ran the optimiser between steps, ×1.31–1.52 at 150 px and ×1.05–1.09 at
 * 64 px. What is left is per step: each step waits for the slower worker, and half a batch costs a worker a
 * little more than half (59 ms against 114 ms for the whole batch at 64 px: costs per step that do not shrink
 * with the rows). On a loaded machine, pass --workers 1.
 */
export async function stepperFor(
  model: tfl.LayersModel,
  schedule: ScheduledOptimizer,
  options: {
    recipe: SeedCnnRecipe
    batch: BatchRecipe
    backend: string
    workers?: number
    batchSize: number
    photos: PixelStore
  },
): Promise<{ stepper: TrainStepper; workers: number }> {
  const workers = options.workers ?? defaultWorkers()
  const backend = parallelBackend(options.backend, workers)
  if (backend) {
    const stepper = await createParallelStepper(model, schedule, { ...options, backend, workers })
    return { stepper, workers }
  }
  return { stepper: inProcessStepper(model, options.batch, options.photos), workers: 1 }
}
