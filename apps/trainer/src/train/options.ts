import type { Quantization } from '@whisker/model-core'
import type { AugmentName } from '../augment/presets.ts'
import type { Reporter } from '../report/reporter.ts'
import type { StopSignal } from '../run/interrupt.ts'
import type { RunDir } from '../run/run-dir.ts'
import type { BackendChoice } from './backend.ts'

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
  epochs: number
  batchSize: number
  learningRate: number
  valSplit: number
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
  transfer: { epochs: 60, learningRate: 1e-3, augment: 'none' },
  // The tutorial's SGD rate; 30 epochs of 2,400 photos is about 45 min on two cores with wasm.
  'seed-cnn': { epochs: 30, learningRate: 0.01, augment: 'seed' },
} as const satisfies Record<Architecture, { epochs: number; learningRate: number; augment: AugmentName }>

/** What a trainer reports to and writes into, shared by every architecture. */
export interface TrainContext {
  reporter: Reporter
  run: RunDir
  stop: StopSignal
  /** Continue from the run directory's checkpoint, when it has one. */
  resume?: boolean
}
