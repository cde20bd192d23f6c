import type { Quantization } from '@whisker/model-core'
import type { AugmentName } from '../augment/presets.ts'
import type { BackendChoice } from '../core/backend.ts'
import type { Reporter } from '../core/reporter.ts'
import type { StopSignal } from '../run/interrupt.ts'
import type { RunDir } from '../run/run-dir.ts'

export const ARCHITECTURES = ['transfer', 'seed-cnn'] as const
export type Architecture = (typeof ARCHITECTURES)[number]

/** Everything a training run was asked to do; stored in run.json so `--resume` can redo its steps. */
export interface TrainOptions {
  arch: Architecture
  data: string
  /** A separate labelled folder for validation; when absent, `valSplit` of `data` is held out. */
  valData?: string
  out: string
  /** Transfer only: registry name or folder. */
  backbone: string
  modelsDir?: string
  backend: BackendChoice
  /** Worker threads embedding (or training the seed CNN) in parallel, one tfjs instance each (default: the cores available). */
  workers?: number
  epochs: number
  batchSize: number
  learningRate: number
  /**
   * Share of `data` sealed before any choice: the served model is measured on it and never learns from it.
   * 0 (the transfer default): every photo trains the served model, and the estimate is cross-validated.
   * For the seed CNN, the validation share its epochs and temperature are chosen on.
   */
  valSplit: number
  /**
   * Flip test-time augmentation in the exported graph: each photo is answered together with its mirror
   * (twice the network's work per photo). On for the seed CNN, the presets' choice for transfer.
   */
  flipTta: boolean
  /** Transfer only: k of the k-fold cross-validation that makes the run's choices and its estimate. */
  folds: number
  seed: number
  /** Transfer only: hidden units in the head (0 = logistic regression). */
  hidden: number
  limitPerClass?: number
  quantization: Quantization
  augment: AugmentName
  /** Seed CNN only: how it is optimised (absent in runs recorded before it existed: 'sgd-decay'). */
  schedule?: SeedCnnSchedule
  /** Seed CNN: its input size; transfer: must equal the backbone's. */
  imageSize?: number
  /** Transfer only: unfreeze the backbone's top layers after the head is fitted. */
  fineTune?: FineTuneSettings
  /** Embedding and quantization-choice cache folder, or false to compute everything afresh. */
  cacheDir: string | false
}

export interface FineTuneSettings {
  layers: number
  epochs: number
  learningRate: number
}

/**
 * How the seed CNN is optimised, each with its own default rate, epochs and input size.
 * - `adam-cosine` (Whisker's default): Adam, one epoch of linear warm-up, then a cosine decay to zero at the
 *   last epoch, whose weights are kept: the validation photos choose nothing, so their figure is a measurement.
 *   64 px for 80 epochs, with the seed CNN's default augmentation `strong`. Chosen on a split inside the
 *   training photos (the sealed photos untouched), in steps:
 *   - Pixels or epochs (1,869 / 507): every run underfit (training accuracy no higher than validation), so
 *     epochs bought more than pixels: 64 px reached 76.3 % after 40 epochs at ≈ 18 s an epoch, where 96 px
 *     reached 73.4 % after 20 (≈ 40 s an epoch), 112 px 70.8 % after 16, and 150 px no better.
 *   - The rate (the 2,376 training photos split again, `--seed 1`: 1,901 / 475, later 1,914 / 462 as the
 *     files are now): 40 epochs at 3e-4 ended at 75.1 % / log loss 0.508, at 1e-3 at 77.9 % / 0.488.
 *   - Epochs and augmentation (1,914 / 462, Whisker's SIMD kernels, 2 workers): with the tutorial's
 *     augmentation (`seed`), 40 epochs reached 78.4 % / 0.474 in 5.4 min, 60 epochs 78.6 % / 0.529 and 80
 *     epochs 78.8 % / 0.545 (training loss 0.21, the validation loss rising from epoch 35 on: the network
 *     learns the photos themselves). `strong` (rotation, shift and brightness too) is worse at 40 epochs
 *     (76.2 % / 0.485: more to learn) and best at 80: 80.1 % / 0.461 in 10.1 min, its validation loss still
 *     falling at epoch 60. 96 px for 40 epochs scored 78.8 % / 0.457 in 11.4 min. 100 epochs of `strong`
 *     ended at 79.7 % / 0.466 answering each photo once and 81.8 % / 0.439 with flip TTA, against 80.1 % /
 *     0.461 and 81.4 % / 0.455 after 80: no clear gain for a quarter more time, so 80 stayed; 72 px for 80
 *     epochs scored 79.9 % / 0.473 once and 79.9 % / 0.463 with flip TTA, no better either. With flip TTA,
 *     80 epochs at Adam 2e-3 scored 76.2 % / 0.511 (3e-3: 61.9 % after 35 epochs, stopped) and batches of 16
 *     79.9 % / 0.455 (2026-12-07). On 2026-12-08, with flip TTA, against the default's 81.8 % / 0.449 re-run
 *     that day: 96 px for 60 epochs 78.6 % / 0.447, 80 px for 80 epochs 80.5 % / 0.443, 100 epochs 81.0 % /
 *     0.466; averaging the weights of the last 5 to 40 epochs (SWA) moved accuracy by −0.9 to +0.7 points and
 *     the log loss by −0.008 to +0.002, nothing the cosine's last epoch lacks; batch normalisation after each
 *     convolution (from plain ops: tfjs's own BatchNorm gradient took 560 ms a step on wasm; these 258 ms
 *     against 118 ms without) scored 81.2 % / 0.411 after 80 epochs with its statistics recomputed over the
 *     training photos, 77.9 % / 0.477 after 40: a lower log loss, the same accuracy, at twice the time.
 *     Lighter augmentation at the end (the tutorial's `seed` for the last 20 epochs, none for the last 10)
 *     scored 81.6 % / 0.454 and 81.2 % / 0.435: no more accurate either. Neither were decoupled weight decay
 *     (every kernel shrunk by 0.2 × the rate each step: 79.0 % / 0.452) nor mixup (α 0.2, photos paired within
 *     a batch: 81.0 % / 0.447). The nine networks of these trials miss the same photos: 41 of the 462 are
 *     missed by all nine and 309 by none, and averaging two networks' answers scored 0.2 points more than the
 *     pair's mean (−1.7 to +2.4 over the 36 pairs). Those photos are plain to a person (an orange cat, a white
 *     dog), so colour was tried on top of `strong`: saturation scaled by 0.3–1.7 per photo scored 79.9 % /
 *     0.428, one photo in three made grey 79.9 % / 0.431: a lower log loss, no more accurate. Heavier zoom and
 *     shift (0.35 and 0.15 for `strong`'s 0.2 and 0.1) scored 78.6 % / 0.475 after 80 epochs and 79.0 % /
 *     0.453 after 100. What is left is this network's, not its recipe's.
 *     80 epochs at 64 px take about 8 minutes on all 2,376 photos here (480 s in the training bench of
 *     2026-12-08), inside the 20 the tutorial's reproduction is given on the 2-core machine.
 * - `sgd-decay` (the tutorial's): SGD 0.01 with momentum 0.9 and Keras' time-based decay, early stopping on
 *   validation loss (the best epoch is chosen on the validation photos), at the tutorial's 150 px.
 */
export const SEED_CNN_SCHEDULES = {
  'adam-cosine': { learningRate: 1e-3, epochs: 80, imageSize: 64 },
  'sgd-decay': { learningRate: 0.01, epochs: 30, imageSize: 150 },
} as const satisfies Record<string, { learningRate: number; epochs: number; imageSize: number }>

export type SeedCnnSchedule = keyof typeof SEED_CNN_SCHEDULES

/** For the CLI's `--schedule` choices. */
export const SEED_CNN_SCHEDULE_NAMES = Object.keys(SEED_CNN_SCHEDULES) as readonly SeedCnnSchedule[]

/** Per-architecture defaults where one number does not suit both. */
export const ARCH_DEFAULTS = {
  transfer: { epochs: 60, learningRate: 1e-3, augment: 'none', valSplit: 0 },
  'seed-cnn': {
    ...SEED_CNN_SCHEDULES['adam-cosine'],
    schedule: 'adam-cosine',
    augment: 'strong',
    valSplit: 0.2,
    /**
     * Chosen on the inner split (1,914 / 462): on the six networks trained there (four recipes), the mean
     * of each photo's and its mirror's logits scored −0.65 to +3.0 points (mean +0.8) over the photo alone,
     * and a lower log loss for all six (−0.003 to −0.023); the strong/80 recipe 80.3 → 81.4 %, 0.462 → 0.455.
     * The network is small, so answering twice costs little.
     */
    flipTta: true,
  },
} as const satisfies Record<
  Architecture,
  {
    epochs: number
    learningRate: number
    augment: AugmentName
    valSplit: number
    schedule?: SeedCnnSchedule
    flipTta?: boolean
  }
>

/** Five folds: each model learns from 60 % of the photos (see crossValidateHead), each fold is 20 %. */
export const DEFAULT_FOLDS = 5

/** What a trainer reports to and writes into, shared by every architecture. */
export interface TrainContext {
  reporter: Reporter
  run: RunDir
  stop: StopSignal
  /** Continue from the run directory's checkpoint, when it has one. */
  resume?: boolean
}
