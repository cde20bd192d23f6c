import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { argmax } from '@whisker/model-core'
import { type ScheduledOptimizer, setDropoutStep } from '@whisker/model-core/training'
import { seededRandom } from '@whisker/preprocess'
import { type BatchRecipe, predictUnseen } from '../augment/batch-recipe.ts'
import { shuffledIndices } from '../core/random.ts'
import type { PixelSet } from '../data/pixels.ts'
import { hashName } from '../data/split.ts'
import {
  inProcessStepper,
  PREDICT_ROWS,
  type TrainBatch,
  type TrainStepper,
} from '../parallel/parallel-trainer.ts'
import { StopRequested, type StopSignal } from '../run/interrupt.ts'
import type { EpochRecord } from '../run/records.ts'
import type { RunDir } from '../run/run-dir.ts'
import { readTensors, writeTensors } from '../run/tensor-file.ts'

export interface NetworkFitOptions {
  /** Class index per photo of each set. */
  trainLabels: Int32Array
  valLabels: Int32Array
  classes: number
  epochs: number
  batchSize: number
  /**
   * Early stopping: stop after this many epochs without a better validation loss and keep the best epoch's
   * weights — the validation photos then choose the epoch. Absent: every epoch runs and the last one's
   * weights are kept (a schedule that ends at rate 0), so the validation figure stays a measurement.
   */
  patience?: number
  seed: number
  /** How a batch of 0–255 pixels becomes what the network is trained on (augmentation, scaling). */
  batch: BatchRecipe
  stop: StopSignal
  /** Where checkpoints go; with `resume`, training continues from the one found there. */
  run: RunDir
  resume: boolean
  /** After each batch: the epoch (from 0), batches of it done, and the batch's loss. */
  onBatch?: (epoch: number, done: number, loss: number) => void
  onEpoch?: (record: EpochRecord, history: readonly EpochRecord[]) => Promise<void> | void
  /** Takes one optimiser step on a batch; `trainOnBatch` in this thread unless given. */
  stepper?: TrainStepper
}

export interface NetworkFitResult {
  history: EpochRecord[]
  bestEpoch: number
  /** The best epoch's validation probabilities, in validation order. */
  valProbabilities: Float32Array[]
}

/** Where a run stands: enough, with the weight files beside it, to continue exactly where it stopped. */
interface NetworkCheckpoint {
  epoch: number
  /** Batches of `epoch` already trained. */
  batch: number
  /** Optimiser steps so far: where the learning-rate schedule continues. */
  step: number
  sums: { loss: number; acc: number; seen: number }
  history: EpochRecord[]
  best: { loss: number; epoch: number }
}

export const NETWORK_CHECKPOINT = {
  state: 'checkpoint.json',
  weights: 'checkpoint-weights',
  optimizer: 'checkpoint-optimizer',
  best: 'checkpoint-best',
} as const

/**
 * Trains a whole network from pixels, batch by batch: each epoch's order and each batch's augmentation
 * are drawn from seeds derived from (seed, epoch, batch), so a run resumed from a checkpoint — which
 * Ctrl-C writes between batches, not only between epochs, because an epoch takes minutes — sees exactly
 * the batches an uninterrupted run would. Early stopping keeps the best epoch's weights.
 */
export async function fitNetwork(
  model: tfl.LayersModel,
  schedule: ScheduledOptimizer,
  train: PixelSet,
  val: PixelSet,
  options: NetworkFitOptions,
): Promise<NetworkFitResult> {
  const { run, stop } = options
  // A run interrupted before its first checkpoint (while decoding photos) starts training afresh.
  let state: NetworkCheckpoint = (options.resume && (await restore(model, schedule, run))) || {
    epoch: 0,
    batch: 0,
    step: 0,
    sums: { loss: 0, acc: 0, seen: 0 },
    history: [],
    best: { loss: Infinity, epoch: -1 },
  }
  // One dropout mask per optimiser step: a resumed run continues the same sequence of masks.
  setDropoutStep(model, state.step)
  let best =
    state.best.epoch >= 0
      ? await readWeights(run, NETWORK_CHECKPOINT.best)
      : model.getWeights().map((w) => w.clone())
  const batches = Math.ceil(train.count / options.batchSize)
  const save = async () => {
    await writeWeights(run, NETWORK_CHECKPOINT.weights, model.getWeights())
    await writeTensors(run, NETWORK_CHECKPOINT.optimizer, toMap(await schedule.optimizer.getWeights()))
    await writeWeights(run, NETWORK_CHECKPOINT.best, best)
    await run.writeJson(NETWORK_CHECKPOINT.state, state)
  }

  const stepper = options.stepper ?? inProcessStepper(model, options.batch, train.store)
  let rate = 0
  for (let epoch = state.epoch; epoch < options.epochs; epoch++) {
    const started = performance.now()
    const order = shuffledIndices(train.count, seededRandom(hashName(`epoch ${epoch}`, options.seed)))
    const prepare = (batch: number): TrainBatch => {
      const indices = order.subarray(batch * options.batchSize, (batch + 1) * options.batchSize)
      const labels = tf.tidy(() =>
        tf.oneHot(
          tf.tensor1d(
            Array.from(indices, (i) => options.trainLabels[i]!),
            'int32',
          ),
          options.classes,
        ),
      ) as tf.Tensor2D
      const seed = hashName(`epoch ${epoch} batch ${batch}`, options.seed)
      return { rows: indices, labels, seed }
    }
    let next = state.batch < batches ? prepare(state.batch) : undefined
    for (let batch = state.batch; batch < batches; batch++) {
      // A batch resolves in microtasks only; yield a turn so a Ctrl-C's signal handler can run.
      await new Promise(setImmediate)
      const current = next!
      if (stop.requested) {
        current.labels.dispose()
        state = { ...state, epoch, batch, step: schedule.step }
        await stepper.settle()
        await save()
        throw new StopRequested()
      }
      rate = schedule.nextRate()
      const stepping = stepper.step(current)
      // The next batch is gathered while this one's step runs on worker threads.
      next = batch + 1 < batches ? prepare(batch + 1) : undefined
      const [loss, acc] = await stepping
      const rows = current.rows.length
      current.labels.dispose()
      state.sums = {
        loss: state.sums.loss + loss! * rows,
        acc: state.sums.acc + acc! * rows,
        seen: state.sums.seen + rows,
      }
      options.onBatch?.(epoch, batch + 1, loss!)
    }
    await stepper.settle()
    // Answered where the steps run: on worker threads, each takes a share of the photos.
    const validation = await evaluate(stepper.predict, val, options)
    const record: EpochRecord = {
      epoch: epoch + 1,
      loss: state.sums.loss / state.sums.seen,
      acc: state.sums.acc / state.sums.seen,
      val_loss: validation.loss,
      val_acc: validation.accuracy,
      lr: rate,
      seconds: (performance.now() - started) / 1000,
    }
    const history = [...state.history, record]
    let bestState = state.best
    if (options.patience === undefined || record.val_loss < state.best.loss - 1e-4) {
      tf.dispose(best)
      best = model.getWeights().map((w) => w.clone())
      bestState = { loss: record.val_loss, epoch }
    }
    state = {
      epoch: epoch + 1,
      batch: 0,
      step: schedule.step,
      sums: { loss: 0, acc: 0, seen: 0 },
      history,
      best: bestState,
    }
    await save()
    await options.onEpoch?.(record, history)
    if (options.patience !== undefined && epoch - bestState.epoch >= options.patience) break
  }
  model.setWeights(best)
  tf.dispose(best)
  return {
    history: state.history,
    bestEpoch: state.best.epoch,
    valProbabilities: (
      await evaluate(async (pixels) => predictUnseen(model, pixels, options.batch), val, options)
    ).probabilities,
  }
}

/** Validation loss, accuracy and probabilities, the network in inference mode (no dropout). */
async function evaluate(
  predict: TrainStepper['predict'],
  val: PixelSet,
  options: NetworkFitOptions,
): Promise<{ loss: number; accuracy: number; probabilities: Float32Array[] }> {
  const probabilities: Float32Array[] = []
  let loss = 0
  let correct = 0
  for (let start = 0; start < val.count; start += PREDICT_ROWS) {
    const indices = Int32Array.from(
      { length: Math.min(PREDICT_ROWS, val.count - start) },
      (_, i) => start + i,
    )
    const pixels = val.batch(indices)
    const flat = await predict(pixels).finally(() => pixels.dispose())
    for (const [row, index] of indices.entries()) {
      const p = flat.slice(row * options.classes, (row + 1) * options.classes)
      const truth = options.valLabels[index]!
      probabilities.push(p)
      loss -= Math.log(Math.max(p[truth]!, 1e-7))
      if (argmax(p) === truth) correct++
    }
  }
  const n = Math.max(1, val.count)
  return { loss: loss / n, accuracy: correct / n, probabilities }
}

async function restore(
  model: tfl.LayersModel,
  schedule: ScheduledOptimizer,
  run: RunDir,
): Promise<NetworkCheckpoint | undefined> {
  const state = await run.readJson<NetworkCheckpoint>(NETWORK_CHECKPOINT.state).catch(() => undefined)
  if (!state) return undefined
  model.setWeights(await readWeights(run, NETWORK_CHECKPOINT.weights))
  const optimizer = await readTensors(run, NETWORK_CHECKPOINT.optimizer)
  // Optimiser state (iterations, then one momentum accumulator per weight) is matched by order.
  await schedule.optimizer.setWeights(Object.entries(optimizer).map(([name, tensor]) => ({ name, tensor })))
  schedule.step = state.step
  return state
}

/** Weights by position: layer variable names carry per-process counters, positions do not. */
async function writeWeights(run: RunDir, file: string, weights: readonly tf.Tensor[]): Promise<void> {
  await writeTensors(run, file, Object.fromEntries(weights.map((w, i) => [String(i).padStart(4, '0'), w])))
}

async function readWeights(run: RunDir, file: string): Promise<tf.Tensor[]> {
  return Object.values(await readTensors(run, file))
}

function toMap(named: readonly { name: string; tensor: tf.Tensor }[]): tf.NamedTensorMap {
  // Object keys keep insertion order for non-integer strings; prefix positions so they never look numeric.
  return Object.fromEntries(named.map((n, i) => [`${String(i).padStart(4, '0')}:${n.name}`, n.tensor]))
}
