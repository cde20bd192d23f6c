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
   * Transfer only: flip test-time augmentation in the exported graph — each photo is answered together
   * with its mirror (twice the backbone's work per photo).
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

/** Per-architecture defaults where one number does not suit both. */
export const ARCH_DEFAULTS = {
  transfer: { epochs: 60, learningRate: 1e-3, augment: 'none', valSplit: 0 },
  // The tutorial's SGD rate; 30 epochs of 2,400 photos is about 45 min on two cores with wasm.
  'seed-cnn': { epochs: 30, learningRate: 0.01, augment: 'seed', valSplit: 0.2 },
} as const satisfies Record<
  Architecture,
  { epochs: number; learningRate: number; augment: AugmentName; valSplit: number }
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
