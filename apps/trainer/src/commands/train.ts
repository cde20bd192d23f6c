import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Quantization } from '@whisker/model-core'
import { type BackboneName, DEFAULT_BACKBONE } from '@whisker/model-core/training'
import { Command, Option } from 'commander'
import { AUGMENT_NAMES, type AugmentName } from '../augment/presets.ts'
import { BACKEND_CHOICES, type BackendChoice } from '../core/backend.ts'
import { percent } from '../core/format.ts'
import { createReporter } from '../core/reporter.ts'
import { defaultEmbeddingCacheDir } from '../data/embedding-cache.ts'
import { defaultWorkers } from '../parallel/parallel-embedder.ts'
import { DEFAULTS, displayPath } from '../paths.ts'
import { writeReport } from '../report/html.ts'
import { listenForStop, StopRequested } from '../run/interrupt.ts'
import { RUN_FILES } from '../run/records.ts'
import { RunDir } from '../run/run-dir.ts'
import { formatEstimate } from '../train/estimate.ts'
import { describeChange } from '../train/export-graph.ts'
import { FINE_TUNE_RATE_FACTOR } from '../train/fine-tune.ts'
import {
  ARCH_DEFAULTS,
  ARCHITECTURES,
  type Architecture,
  DEFAULT_FOLDS,
  type FineTuneSettings,
  SEED_CNN_SCHEDULE_NAMES,
  SEED_CNN_SCHEDULES,
  type SeedCnnSchedule,
  type TrainContext,
  type TrainOptions,
} from '../train/options.ts'
import { trainSeedCnn } from '../train/train-seed-cnn.ts'
import { trainTransfer } from '../train/train-transfer.ts'
import {
  atLeastThree,
  fraction,
  nonNegativeInt,
  positiveInt,
  positiveNumber,
  QUANTIZATIONS,
} from './flags.ts'

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a classifier on a labelled folder and export it for the Worker.')
    .option(
      '--data <dir>',
      'labelled photos: folder-per-class or Kaggle flat layout (label.id.jpg)',
      DEFAULTS.data,
    )
    .option('--val-data <dir>', 'a separate labelled folder to validate on (instead of --val-split)')
    .option('--out <dir>', 'where the exported model goes', DEFAULTS.out)
    .option('--runs <dir>', 'where run directories (history, checkpoints, report) go', DEFAULTS.runs)
    .addOption(
      new Option('--arch <name>', 'transfer: frozen pretrained backbone + head; seed-cnn: the tutorial’s CNN')
        .choices(ARCHITECTURES)
        .default('transfer'),
    )
    .addOption(
      new Option(
        '--preset <name>',
        'fast: MobileNetV2 α0.35, edge latency first; accurate: MobileNetV2 1.0 with its last block fine-tuned',
      )
        .choices(Object.keys(PRESETS))
        .default('fast'),
    )
    .option('--backbone <name|path>', 'pretrained backbone (registry name or folder); overrides --preset')
    .option('--models <dir>', 'folder of pretrained backbones (WHISKER_MODELS)', DEFAULTS.models)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES).default('auto'))
    .option(
      '--workers <n>',
      'worker threads embedding, and training the seed CNN, in parallel (default: the cores available)',
      positiveInt,
    )
    .option('--epochs <n>', 'maximum epochs (default: transfer 60, seed-cnn the schedule’s)', positiveInt)
    .option('--batch-size <n>', 'training batch size', positiveInt, 32)
    .option(
      '--lr <x>',
      'learning rate (default: transfer 0.001 Adam, seed-cnn the schedule’s)',
      positiveNumber,
    )
    .addOption(
      new Option(
        '--schedule <name>',
        'seed-cnn: adam-cosine (Adam, warm-up, cosine to 0, last epoch kept) or sgd-decay (the tutorial’s SGD, early stopping)',
      ).choices(SEED_CNN_SCHEDULE_NAMES),
    )
    .option(
      '--val-split <fraction>',
      'share of photos sealed before any choice and measured on (default: transfer 0, cross-validating every photo; seed-cnn 0.2, its validation)',
      fraction,
    )
    .option(
      '--folds <k>',
      'cross-validation folds that make the choices and the estimate (transfer)',
      atLeastThree,
      DEFAULT_FOLDS,
    )
    .addOption(
      new Option(
        '--augment <preset>',
        `on-the-fly augmentation (default: transfer ${ARCH_DEFAULTS.transfer.augment}, seed-cnn ${ARCH_DEFAULTS['seed-cnn'].augment})`,
      ).choices(AUGMENT_NAMES),
    )
    .option(
      '--image-size <n>',
      `input size in pixels (seed-cnn: the schedule’s, ${SEED_CNN_SCHEDULE_NAMES.map((name) => `${SEED_CNN_SCHEDULES[name].imageSize} for ${name}`).join(', ')}; transfer takes its backbone’s)`,
      positiveInt,
    )
    .option(
      '--hidden <n>',
      'hidden units in the head (default: the preset’s; 0 = logistic regression)',
      nonNegativeInt,
    )
    .option(
      '--flip-tta',
      'answer each photo together with its mirror (default: seed-cnn on, transfer the preset’s)',
    )
    .option('--no-flip-tta', 'answer each photo once')
    .option(
      '--fine-tune <layers>',
      'after the head, also train the backbone’s top n layers (default: the preset’s, with its own backbone)',
      positiveInt,
    )
    .option('--no-fine-tune', 'train the head only')
    .option('--fine-tune-epochs <n>', 'epochs of fine-tuning (default: the preset’s, else 4)', positiveInt)
    .option('--fine-tune-lr <x>', 'fine-tuning learning rate (default: a tenth of --lr)', positiveNumber)
    .option(
      '--seed <n>',
      'seed for the split, initialisation, shuffling and augmentation',
      nonNegativeInt,
      42,
    )
    .option('--limit-per-class <n>', 'use at most n photos per class (quick runs, tests)', positiveInt)
    .addOption(new Option('--quantize <kind>', 'weight quantization').choices(QUANTIZATIONS).default('auto'))
    .option(
      '--cache-dir <dir>',
      'where backbone embeddings and quantization choices are cached',
      defaultEmbeddingCacheDir(),
    )
    .option('--no-cache', 'compute every embedding and quantization choice afresh')
    .option('--if-missing', 'do nothing when a model already exists in --out')
    .option('--resume [run]', 'continue an interrupted run (default: the newest one under --runs)')
    .action(async (flags: TrainFlags, command: Command) => {
      rejectConflicts(flags, (name) => command.getOptionValueSource(name) === 'cli')
      const out = resolve(flags.out)
      if (flags.ifMissing && existsSync(join(out, 'card.json'))) {
        console.log(
          `A model already exists in ${displayPath(out)}; skipping training (drop --if-missing to retrain).`,
        )
        return
      }
      const { run, options } = flags.resume ? await resumeRun(flags) : await newRun(flags, out)
      await train(run, options, Boolean(flags.resume))
    })
}

/** The flags as a complete, stored set of options: per-architecture defaults filled in. */
export function optionsFromFlags(flags: TrainFlags, out: string): TrainOptions {
  const schedule =
    flags.arch === 'seed-cnn' ? (flags.schedule ?? ARCH_DEFAULTS['seed-cnn'].schedule) : undefined
  const defaults = schedule
    ? { ...ARCH_DEFAULTS[flags.arch], ...SEED_CNN_SCHEDULES[schedule] }
    : ARCH_DEFAULTS[flags.arch]
  const learningRate = flags.lr ?? defaults.learningRate
  return {
    arch: flags.arch,
    data: resolve(flags.data),
    valData: flags.valData === undefined ? undefined : resolve(flags.valData),
    out,
    backbone: flags.backbone ?? PRESETS[flags.preset].backbone,
    flipTta: flags.flipTta ?? ('flipTta' in defaults ? defaults.flipTta : PRESETS[flags.preset].flipTta),
    modelsDir: flags.models,
    backend: flags.backend,
    // Resolved here, so run.json records the count a seed-CNN run's weights depend on (and --resume keeps it).
    workers: flags.workers ?? defaultWorkers(),
    epochs: flags.epochs ?? defaults.epochs,
    batchSize: flags.batchSize,
    learningRate,
    schedule,
    valSplit: flags.valSplit ?? (flags.valData === undefined ? defaults.valSplit : 0),
    folds: flags.folds,
    seed: flags.seed,
    hidden: flags.hidden ?? PRESETS[flags.preset].hidden,
    limitPerClass: flags.limitPerClass,
    quantization: flags.quantize,
    augment: flags.augment ?? defaults.augment,
    imageSize:
      flags.imageSize ?? (schedule === undefined ? undefined : SEED_CNN_SCHEDULES[schedule].imageSize),
    fineTune: fineTuneFrom(flags, learningRate),
    cacheDir: flags.cache ? flags.cacheDir : false,
  }
}

/**
 * --fine-tune wins; else the preset's fine-tuning, which was measured for the preset's own backbone only
 * (a layer count means another cut on another network), so --backbone or --no-fine-tune turn it off.
 */
function fineTuneFrom(flags: TrainFlags, learningRate: number): FineTuneSettings | undefined {
  if (flags.fineTune === false) return undefined
  const preset: PresetFineTune | undefined =
    flags.backbone === undefined ? PRESETS[flags.preset].fineTune : undefined
  const layers = flags.fineTune ?? preset?.layers
  if (layers === undefined) return undefined
  return {
    layers,
    epochs: flags.fineTuneEpochs ?? preset?.epochs ?? DEFAULT_FINE_TUNE_EPOCHS,
    learningRate: flags.fineTuneLr ?? learningRate * FINE_TUNE_RATE_FACTOR,
  }
}

async function newRun(flags: TrainFlags, out: string) {
  const options = optionsFromFlags(flags, out)
  const run = await RunDir.create(resolve(flags.runs))
  await run.writeJson(RUN_FILES.run, {
    id: run.id,
    status: 'running',
    startedAt: new Date().toISOString(),
    options,
    backend: { name: '', skipped: [] },
    dataset: { root: options.data, labels: [], classCounts: {}, train: 0, val: 0, skipped: [] },
    modelDir: out,
  })
  return { run, options }
}

async function resumeRun(flags: TrainFlags) {
  const run =
    typeof flags.resume === 'string'
      ? new RunDir(resolve(flags.resume))
      : await RunDir.latestInterrupted(resolve(flags.runs))
  if (!run) throw new NothingToResumeError(resolve(flags.runs))
  const record = await run.readRecord()
  // Runs recorded before --arch and --augment existed were transfer runs without augmentation.
  const options = { arch: 'transfer', augment: 'none', ...record.options } as TrainOptions
  if (options.arch === 'seed-cnn') options.schedule ??= 'sgd-decay'
  console.error(`Resuming run ${run.id}.`)
  await run.updateRecord({ status: 'running' })
  return { run, options }
}

const TRAINERS = { transfer: trainTransfer, 'seed-cnn': trainSeedCnn } as const

async function train(run: RunDir, options: TrainOptions, resume: boolean) {
  const reporter = createReporter()
  const stop = listenForStop(() => reporter.info('Stopping after this step (Ctrl-C again to quit at once)…'))
  const context: TrainContext = { reporter, run, stop, resume }
  try {
    const summary = await TRAINERS[options.arch](options, context)
    await run.updateRecord({
      status: 'done',
      finishedAt: new Date().toISOString(),
      wallSeconds: Math.round(summary.wallSeconds * 10) / 10,
    })
    const report = await writeReport(run.path)
    const { metrics, float32, card } = summary
    console.log(
      [
        ...(card.estimate
          ? [`expected on new photos: ${formatEstimate(card.estimate)}`, `  how: ${card.estimate.how}`]
          : []),
        ...(metrics && float32 && !card.estimate
          ? [
              `validation accuracy: ${percent(metrics.accuracy)} (${Math.round(metrics.accuracy * metrics.count)}/${metrics.count}); float32 ${percent(float32.accuracy)}`,
              `validation log loss: ${metrics.logLoss.toFixed(4)}; float32 ${float32.logLoss.toFixed(4)}`,
              '  (epochs and temperature were chosen on these photos: new photos may score lower)',
            ]
          : []),
        ...(metrics && float32 && card.estimate
          ? [
              `float32 graph on the same photos: ${percent(float32.accuracy)}, log loss ${float32.logLoss.toFixed(4)}`,
            ]
          : []),
        ...(card.exportFidelity
          ? [
              `served graph (${card.quantization}) against float32 on ${card.exportFidelity.count} training photos: ${describeChange(card.exportFidelity)}`,
            ]
          : []),
        `model ${card.version} (${card.quantization}) written to ${displayPath(options.out)}`,
        `run: ${displayPath(run.path)}`,
        `report: ${displayPath(report)}`,
        `wall time: ${summary.wallSeconds.toFixed(1)} s on ${summary.backend}`,
      ].join('\n'),
    )
  } catch (error) {
    await run.updateRecord({ status: error instanceof StopRequested ? 'interrupted' : 'failed' })
    if (error instanceof StopRequested) {
      console.error(`${error.message} (run ${displayPath(run.path)})`)
      process.exitCode = 130
      return
    }
    throw error
  } finally {
    stop.dispose()
  }
}

/** Flags that contradict each other, or mean nothing for the chosen architecture, are refused, never ignored. */
function rejectConflicts(flags: TrainFlags, given: (name: string) => boolean): void {
  if (flags.valData !== undefined && given('valSplit')) {
    throw new FlagConflictError(
      '--val-split and --val-data exclude each other: hold out a share, or give a folder.',
    )
  }
  if (flags.arch !== 'seed-cnn') {
    if (given('schedule')) throw new FlagConflictError('--schedule only applies to --arch seed-cnn.')
    return
  }
  const transferOnly = ['backbone', 'preset', 'hidden', 'fineTune', 'fineTuneEpochs', 'fineTuneLr', 'folds']
    .filter(given)
    .map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
  if (transferOnly.length > 0) {
    throw new FlagConflictError(`${transferOnly.join(', ')} only apply to --arch transfer.`)
  }
}

export class FlagConflictError extends Error {
  readonly code = 'FLAG_CONFLICT'
  constructor(message: string) {
    super(message)
    this.name = 'FlagConflictError'
  }
}

class NothingToResumeError extends Error {
  readonly code = 'NOTHING_TO_RESUME'
  constructor(runs: string) {
    super(`No interrupted run under ${runs}; start a new one without --resume.`)
    this.name = 'NothingToResumeError'
  }
}

/**
 * Named starting points; every flag still overrides what a preset chooses. Measured on ../shared's 3,000
 * photos (docs/benchmarks.md). A logistic head beat 64 hidden units on every backbone, and training on
 * mirrored views helped both. Answering with the mirror too (flip TTA) gained under 0.1 point and doubled
 * the backbone's work (accurate: 51 ms instead of 25 on wasm, over its 40 ms budget), so neither preset does.
 * Fine-tuning MobileNetV2 1.0's last block (conv_48–conv_51, 0.88 M parameters): on a sealed fifth 99.0 % /
 * log loss 0.032 against the head's 98.9 % / 0.038; for α0.35 it gained nothing on a clean fold and costs
 * 3½ minutes, so the fast preset trains the head alone.
 */
export const PRESETS = {
  fast: { backbone: DEFAULT_BACKBONE, hidden: 0, flipTta: false, fineTune: undefined },
  accurate: { backbone: 'mobilenet_v2_1.0', hidden: 0, flipTta: false, fineTune: { layers: 4, epochs: 2 } },
} as const satisfies Record<
  string,
  { backbone: BackboneName; hidden: number; flipTta: boolean; fineTune: PresetFineTune | undefined }
>

interface PresetFineTune {
  layers: number
  epochs: number
}

/** Fine-tuning epochs when neither the flag nor a preset says. */
const DEFAULT_FINE_TUNE_EPOCHS = 4

export interface TrainFlags {
  data: string
  valData?: string
  out: string
  runs: string
  arch: Architecture
  preset: keyof typeof PRESETS
  backbone?: string
  models: string
  backend: BackendChoice
  workers?: number
  epochs?: number
  batchSize: number
  lr?: number
  schedule?: SeedCnnSchedule
  valSplit?: number
  folds: number
  augment?: AugmentName
  imageSize?: number
  hidden?: number
  flipTta?: boolean
  /** Layers to fine-tune; false from --no-fine-tune. */
  fineTune?: number | false
  fineTuneEpochs?: number
  fineTuneLr?: number
  seed: number
  limitPerClass?: number
  quantize: Quantization
  ifMissing?: boolean
  cache: boolean
  cacheDir: string
  resume?: boolean | string
}
