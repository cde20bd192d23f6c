import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import type { BackboneSplit } from '@whisker/model-core/training'
import { seededRandom } from '@whisker/preprocess'
import { shuffledIndices } from '../core/random.ts'
import type { StopSignal } from '../run/interrupt.ts'
import type { EpochRecord } from '../run/records.ts'

/**
 * The default fine-tuning rate is the head's rate times this: the pretrained layers should move a little
 * towards the new classes, not be overwritten by a few hundred photos.
 */
export const FINE_TUNE_RATE_FACTOR = 0.1

/**
 * What the top trains on: the frozen trunk's output for each photo, computed once by running
 * `createTrunkEmbedder(backbone, split)` through `embedFiles` (same decoding and skipping of unreadable photos
 * as the head's embeddings). For a cut in the top block a row is far smaller than the image it came from
 * (MobileNetV2 α0.35 from block_16_expand: 7 × 7 × 56 values, 1.8 % of 224 × 224 × 3).
 */
export interface TrunkFeatures {
  /** Rows of the trunk's output (h × w × c each), one per photo. */
  features: Float32Array
  /** Class index per row. */
  y: Int32Array
}

export interface FineTuneOptions {
  /** From `splitBackbone(backbone.model, N)`; training its top changes the backbone's own layers. */
  split: BackboneSplit
  /** The fitted head; fine-tuned together with the top, in place. */
  head: tfl.Sequential
  train: TrunkFeatures
  /**
   * Watched after every epoch, the best epoch's weights kept. Without it, exactly `epochs` epochs are trained
   * and the last weights kept: a refit whose length was chosen elsewhere.
   */
  val?: TrunkFeatures
  epochs: number
  batchSize: number
  /** Adam's rate; the head's rate × FINE_TUNE_RATE_FACTOR unless the user asks otherwise. */
  learningRate: number
  seed: number
  stop: StopSignal
  onEpoch?: (record: EpochRecord) => Promise<void> | void
}

export interface FineTuneResult {
  history: EpochRecord[]
  /** Index into `history` of the epoch whose weights were kept; -1 when none beat the fitted head, which is kept. */
  bestEpoch: number
  /** The fitted head's validation loss and accuracy before fine-tuning, for the report (NaN without val). */
  before: { val_loss: number; val_acc: number }
}

/**
 * Fine-tunes the split's top and the head together on precomputed trunk features: Adam at a low rate, seeded
 * shuffling, validation after every epoch, and the best epoch's weights restored at the end (those of the
 * fitted head and untouched backbone when no epoch beats them). Because the top shares the backbone's layer
 * objects, `assembleTransferModel(backbone, head)` afterwards exports the fine-tuned network.
 *
 * BatchNorm in the top stays in inference mode, normalising with the pretrained moving statistics, while its
 * scale and offset still train. tfjs-layers decides the mode per call from `kwargs.training` (normalization.js;
 * `fit` passes true to every layer), so this loop calls the top with `training: false` and the head with
 * `training: true` (its dropout). Batch statistics of a few dozen photos are noisy, and training on them while
 * the exported graph normalises with the barely-moved averages would make training and serving disagree.
 */
export async function fineTuneTop(options: FineTuneOptions): Promise<FineTuneResult> {
  const { split, head, train, val } = options
  assertRows(split, val ? { train, val } : { train })
  const variables = [...split.top.trainableWeights, ...head.trainableWeights].map(
    (w) => w.read() as tf.Variable,
  )
  const optimizer = tf.train.adam(options.learningRate)
  const random = seededRandom(options.seed)
  const before = val ? evaluate(options, val) : { loss: Number.NaN, acc: Number.NaN }
  let best = { loss: before.loss, epoch: -1, weights: variables.map((v) => v.clone()) }
  const history: EpochRecord[] = []
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const started = performance.now()
      const fitted = await trainEpoch(options, variables, optimizer, shuffledIndices(train.y.length, random))
      const validated = val ? evaluate(options, val) : fitted
      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: fitted.loss,
        acc: fitted.acc,
        val_loss: validated.loss,
        val_acc: validated.acc,
        lr: options.learningRate,
        seconds: (performance.now() - started) / 1000,
      }
      history.push(record)
      if (!val || record.val_loss < best.loss - 1e-4) {
        tf.dispose(best.weights)
        best = { loss: record.val_loss, epoch, weights: variables.map((v) => v.clone()) }
      }
      await options.onEpoch?.(record)
    }
  } finally {
    // Also on a stop request: the shared layers are left at their best, never half-way through an epoch.
    variables.forEach((v, i) => {
      v.assign(best.weights[i]!)
    })
    tf.dispose(best.weights)
    optimizer.dispose()
  }
  return { history, bestEpoch: best.epoch, before: { val_loss: before.loss, val_acc: before.acc } }
}

interface Score {
  /** Mean categorical cross-entropy (plus the regularisers' penalty when training). */
  loss: number
  acc: number
}

/** One pass over `order` in batches; the stop signal is honoured between batches. */
async function trainEpoch(
  options: FineTuneOptions,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  order: Int32Array,
): Promise<Score> {
  let loss = 0
  let hits = 0
  for (let start = 0; start < order.length; start += options.batchSize) {
    options.stop.checkpoint()
    const rows = order.subarray(start, start + options.batchSize)
    const [x, y] = batchOf(options, options.train, rows)
    let batchHits: tf.Scalar | undefined
    const cost = optimizer.minimize(
      () => {
        const probabilities = forward(options, x, true)
        batchHits = tf.keep(correct(probabilities, y))
        const penalties = [...options.split.top.calculateLosses(), ...options.head.calculateLosses()]
        return penalties.reduce((total, p) => tf.add(total, p), tf.mean(crossEntropy(y, probabilities)))
      },
      true,
      variables,
    )!
    loss += (await cost.data())[0]! * rows.length
    hits += (await batchHits!.data())[0]!
    tf.dispose([x, y, cost, batchHits!])
  }
  return { loss: loss / order.length, acc: hits / order.length }
}

/** What runs on trunk features: the split's top, then the head. */
type Network = Pick<FineTuneOptions, 'split' | 'head'>

/** Class probabilities per row of trunk features, in inference mode: what calibration fits after fine-tuning. */
export function fineTunedProbabilities(
  network: Network,
  data: TrunkFeatures,
  batchSize = 64,
): Float32Array[] {
  const probabilities: Float32Array[] = []
  for (let start = 0; start < data.y.length; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, data.y.length - start) }, (_, i) => start + i)
    const output = tf.tidy(() => forward(network, batchOf(network, data, rows)[0], false))
    const flat = output.dataSync() as Float32Array
    output.dispose()
    const classes = flat.length / rows.length
    for (let i = 0; i < rows.length; i++) probabilities.push(flat.slice(i * classes, (i + 1) * classes))
  }
  return probabilities
}

/** Validation loss and accuracy, everything in inference mode. */
function evaluate(options: FineTuneOptions, data: TrunkFeatures): Score {
  let loss = 0
  let hits = 0
  for (let start = 0; start < data.y.length; start += options.batchSize) {
    const rows = Int32Array.from(
      { length: Math.min(options.batchSize, data.y.length - start) },
      (_, i) => start + i,
    )
    const [batchLoss, batchHits] = tf.tidy(() => {
      const [x, y] = batchOf(options, data, rows)
      const probabilities = forward(options, x, false)
      return [tf.sum(crossEntropy(y, probabilities)), correct(probabilities, y)]
    })
    loss += batchLoss!.dataSync()[0]!
    hits += batchHits!.dataSync()[0]!
    tf.dispose([batchLoss!, batchHits!])
  }
  return { loss: loss / data.y.length, acc: hits / data.y.length }
}

/** Trunk features → top (BatchNorm always in inference mode) → global average pool → head. */
function forward(options: Network, x: tf.Tensor, training: boolean): tf.Tensor {
  const features = options.split.top.apply(x, { training: false }) as tf.Tensor
  return options.head.apply(tf.mean(features, [1, 2]), { training }) as tf.Tensor
}

/** The rows of `data` at `rows`, as a feature batch and one-hot labels. */
function batchOf(options: Network, data: TrunkFeatures, rows: Int32Array): [tf.Tensor, tf.Tensor] {
  const width = featureSize(options.split)
  const x = new Float32Array(rows.length * width)
  rows.forEach((row, i) => {
    x.set(data.features.subarray(row * width, (row + 1) * width), i * width)
  })
  const classes = options.head.outputs[0]!.shape[1]!
  const labels = Int32Array.from(rows, (row) => data.y[row]!)
  return tf.tidy(() => [
    tf.tensor(x, [rows.length, ...(options.split.top.inputs[0]!.shape.slice(1) as number[])]),
    tf.oneHot(tf.tensor1d(labels, 'int32'), classes),
  ])
}

/** Per-photo cross-entropy, the loss `fitHead` trains the head with (tfjs-layers' categoricalCrossentropy). */
function crossEntropy(y: tf.Tensor, probabilities: tf.Tensor): tf.Tensor {
  return tfl.metrics.categoricalCrossentropy(y, probabilities)
}

function correct(probabilities: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(probabilities, 1), tf.argMax(y, 1)), 'float32'))
}

/** Features from another cut (or a stale cache) would train silently on garbage: refuse them. */
function assertRows(split: BackboneSplit, sets: Record<string, TrunkFeatures>): void {
  const width = featureSize(split)
  for (const [name, data] of Object.entries(sets)) {
    if (data.features.length !== data.y.length * width)
      throw new Error(`${name} features hold ${data.features.length} values, not ${data.y.length} × ${width}`)
  }
}

/** Values per photo in the trunk's output (h × w × c). */
function featureSize(split: BackboneSplit): number {
  return (split.top.inputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1)
}
