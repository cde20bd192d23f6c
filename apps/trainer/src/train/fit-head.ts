import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { buildHead, type HeadOptions, setDropoutStep } from '@whisker/model-core/training'
import { seededRandom } from '@whisker/preprocess'
import { shuffledIndices } from '../core/random.ts'
import type { StopSignal } from '../run/interrupt.ts'
import type { EpochRecord } from '../run/records.ts'

export interface HeadData {
  x: Float32Array
  /** Class index per row. */
  y: Int32Array
}

/** Everything needed to continue training where an interrupted run stopped. */
export interface HeadCheckpoint {
  /** Epochs completed. */
  epoch: number
  learningRate: number
  history: EpochRecord[]
  weights: SavedTensor[]
  best: { loss: number; epoch: number; weights: SavedTensor[] }
}

export interface SavedTensor {
  shape: number[]
  data: number[]
}

export interface FitOptions {
  head: HeadOptions
  epochs: number
  batchSize: number
  learningRate: number
  /** Stop after this many epochs without a better validation loss; the best epoch's weights are kept. */
  patience: number
  /** Halve the learning rate after this many epochs without improvement; absent: a constant rate. */
  plateau?: number
  seed: number
  stop: StopSignal
  resumeFrom?: HeadCheckpoint
  onEpoch?: (record: EpochRecord, checkpoint: HeadCheckpoint) => Promise<void> | void
}

export interface FitResult {
  head: tfl.Sequential
  history: EpochRecord[]
  bestEpoch: number
}

/**
 * Trains the head on cached embeddings with Adam, one epoch at a time so that shuffling is seeded
 * (reproducible runs), the learning rate can drop on a plateau, a checkpoint is written after every
 * epoch, and Ctrl-C stops cleanly between epochs. With `val`, the best epoch's weights are restored at the
 * end; without, it trains exactly `epochs` epochs and keeps the last (a refit whose length was chosen
 * elsewhere, e.g. by cross-validation).
 */
export async function fitHead(
  train: HeadData,
  val: HeadData | undefined,
  dim: number,
  options: FitOptions,
): Promise<FitResult> {
  const head = buildHead(dim, { ...options.head, seed: options.seed })
  const classes = options.head.classes
  const rows = train.y.length
  const validation = val
    ? tf.tidy(() => [
        tf.tensor2d(val.x, [val.y.length, dim]),
        tf.oneHot(tf.tensor1d(val.y, 'int32'), classes),
      ])
    : undefined
  const resumed = options.resumeFrom
  let learningRate = resumed?.learningRate ?? options.learningRate
  const history: EpochRecord[] = [...(resumed?.history ?? [])]
  let best = resumed
    ? { ...resumed.best, weights: resumed.best.weights.map(toTensor) }
    : { loss: Number.POSITIVE_INFINITY, epoch: -1, weights: [] as tf.Tensor[] }
  if (resumed) {
    head.setWeights(resumed.weights.map(toTensor))
    // One dropout mask per batch: continue the sequence an uninterrupted run would have drawn.
    setDropoutStep(head, resumed.epoch * Math.ceil(rows / options.batchSize))
  }
  const compile = () =>
    head.compile({
      optimizer: tf.train.adam(learningRate),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    })
  compile()
  const random = seededRandom(options.seed)
  // Replay the shuffles of completed epochs so a resumed run sees the same order as an uninterrupted one.
  for (let e = 0; e < (resumed?.epoch ?? 0); e++) shuffledIndices(rows, random)

  let sinceBest = 0
  for (let epoch = resumed?.epoch ?? 0; epoch < options.epochs; epoch++) {
    options.stop.checkpoint()
    const started = performance.now()
    const order = shuffledIndices(rows, random)
    const [xs, ys] = tf.tidy(() => {
      const index = tf.tensor1d(order, 'int32')
      return [
        tf.gather(tf.tensor2d(train.x, [rows, dim]), index),
        tf.oneHot(tf.gather(tf.tensor1d(train.y, 'int32'), index), classes),
      ]
    })
    const fitted = await head.fit(xs!, ys!, {
      epochs: 1,
      batchSize: options.batchSize,
      shuffle: false,
      validationData: validation ? [validation[0]!, validation[1]!] : undefined,
      verbose: 0,
    })
    tf.dispose([xs!, ys!])
    const record: EpochRecord = {
      epoch: epoch + 1,
      loss: last(fitted.history.loss),
      acc: last(fitted.history.acc),
      // Without validation the training loss stands in, so records keep one shape.
      val_loss: last(fitted.history.val_loss ?? fitted.history.loss),
      val_acc: last(fitted.history.val_acc ?? fitted.history.acc),
      lr: learningRate,
      seconds: (performance.now() - started) / 1000,
    }
    history.push(record)
    if (!validation || record.val_loss < best.loss - 1e-4) {
      tf.dispose(best.weights)
      best = { loss: record.val_loss, epoch, weights: head.getWeights().map((w) => w.clone()) }
      sinceBest = 0
    } else sinceBest++
    if (options.plateau && sinceBest > 0 && sinceBest % options.plateau === 0) {
      learningRate /= 2
      compile()
    }
    await options.onEpoch?.(record, {
      epoch: epoch + 1,
      learningRate,
      history,
      weights: head.getWeights().map(save),
      best: { loss: best.loss, epoch: best.epoch, weights: best.weights.map(save) },
    })
    if (sinceBest >= options.patience) break
  }
  head.setWeights(best.weights)
  tf.dispose([...(validation ?? []), ...best.weights])
  return { head, history, bestEpoch: best.epoch }
}

function last(values: (number | tf.Tensor)[] | undefined): number {
  const value = values?.at(-1)
  return typeof value === 'number' ? value : Number(value?.dataSync()[0] ?? Number.NaN)
}

function save(tensor: tf.Tensor): SavedTensor {
  return { shape: tensor.shape, data: Array.from(tensor.dataSync()) }
}

function toTensor(saved: SavedTensor): tf.Tensor {
  return tf.tensor(saved.data, saved.shape)
}
