import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { buildHead, type HeadOptions } from '@whisker/model-core/training'

export interface HeadData {
  x: Float32Array
  /** Class index per row. */
  y: Int32Array
}

export interface FitOptions {
  head: HeadOptions
  epochs: number
  batchSize: number
  learningRate: number
  /** Stop after this many epochs without a better validation loss; the best epoch's weights are kept. */
  patience: number
  seed: number
  onEpoch?: (epoch: number, logs: EpochLogs) => void
}

export interface EpochLogs {
  loss: number
  acc: number
  val_loss: number
  val_acc: number
}

export interface FitResult {
  head: tfl.Sequential
  history: EpochLogs[]
  bestEpoch: number
}

/** Trains the head on cached embeddings with Adam, early stopping and best-weights restore. */
export async function fitHead(
  train: HeadData,
  val: HeadData,
  dim: number,
  options: FitOptions,
): Promise<FitResult> {
  const head = buildHead(dim, options.head)
  head.compile({
    optimizer: tf.train.adam(options.learningRate),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  })
  const classes = options.head.classes
  const [xs, ys, vx, vy] = tf.tidy(() => [
    tf.tensor2d(train.x, [train.y.length, dim]),
    tf.oneHot(tf.tensor1d(train.y, 'int32'), classes),
    tf.tensor2d(val.x, [val.y.length, dim]),
    tf.oneHot(tf.tensor1d(val.y, 'int32'), classes),
  ])
  const history: EpochLogs[] = []
  let best = { loss: Number.POSITIVE_INFINITY, epoch: -1, weights: [] as tf.Tensor[] }
  await head.fit(xs!, ys!, {
    epochs: options.epochs,
    batchSize: options.batchSize,
    shuffle: true,
    validationData: [vx!, vy!],
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        const entry = normaliseLogs(logs)
        history.push(entry)
        options.onEpoch?.(epoch, entry)
        if (entry.val_loss < best.loss - 1e-4) {
          for (const w of best.weights) w.dispose()
          best = { loss: entry.val_loss, epoch, weights: head.getWeights().map((w) => w.clone()) }
        } else if (epoch - best.epoch >= options.patience) {
          head.stopTraining = true
        }
      },
    },
  })
  head.setWeights(best.weights)
  for (const t of [xs, ys, vx, vy, ...best.weights]) t?.dispose()
  return { head, history, bestEpoch: best.epoch }
}

function normaliseLogs(logs: tfl.Logs | undefined): EpochLogs {
  const read = (key: string) => Number(logs?.[key] ?? Number.NaN)
  return { loss: read('loss'), acc: read('acc'), val_loss: read('val_loss'), val_acc: read('val_acc') }
}
