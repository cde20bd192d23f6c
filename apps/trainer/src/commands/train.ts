import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Quantization } from '@whisker/model-core'
import { type BackboneName, DEFAULT_BACKBONE } from '@whisker/model-core/training'
import { Command, Option } from 'commander'
import { defaultEmbeddingCacheDir } from '../data/embedding-cache.ts'
import { DEFAULTS } from '../paths.ts'
import { writeReport } from '../report/html.ts'
import { createReporter } from '../report/reporter.ts'
import { listenForStop, StopRequested } from '../run/interrupt.ts'
import { RUN_FILES } from '../run/records.ts'
import { RunDir } from '../run/run-dir.ts'
import { BACKEND_CHOICES, type BackendChoice } from '../train/backend.ts'
import type { HeadCheckpoint } from '../train/fit-head.ts'
import { CHECKPOINT_FILE, type TransferTrainOptions, trainTransfer } from '../train/train-transfer.ts'
import { fraction, nonNegativeInt, positiveInt, positiveNumber, QUANTIZATIONS } from './flags.ts'

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a transfer model on a labelled folder and export it for the Worker.')
    .option(
      '--data <dir>',
      'labelled photos: folder-per-class or Kaggle flat layout (label.id.jpg)',
      DEFAULTS.data,
    )
    .option('--out <dir>', 'where the exported model goes', DEFAULTS.out)
    .option('--runs <dir>', 'where run directories (history, checkpoints, report) go', DEFAULTS.runs)
    .addOption(
      new Option('--preset <name>', 'fast: MobileNetV2 α0.35, edge latency first; accurate: MobileNet v1 1.0')
        .choices(Object.keys(PRESETS))
        .default('fast'),
    )
    .option('--backbone <name|path>', 'pretrained backbone (registry name or folder); overrides --preset')
    .option('--models <dir>', 'folder of pretrained backbones (WHISKER_MODELS)', DEFAULTS.models)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--epochs <n>', 'maximum epochs for the head', positiveInt, 60)
    .option('--batch-size <n>', 'head training batch size', positiveInt, 32)
    .option('--lr <x>', 'learning rate', positiveNumber, 1e-3)
    .option('--val-split <fraction>', 'share of photos held out for validation', fraction, 0.2)
    .option('--hidden <n>', 'hidden units in the head (0 = logistic regression)', nonNegativeInt, 64)
    .option('--seed <n>', 'seed for the split, initialisation and shuffling', nonNegativeInt, 42)
    .option('--limit-per-class <n>', 'use at most n photos per class (quick runs, tests)', positiveInt)
    .addOption(new Option('--quantize <kind>', 'weight quantization').choices(QUANTIZATIONS).default('auto'))
    .option('--cache-dir <dir>', 'where backbone embeddings are cached', defaultEmbeddingCacheDir())
    .option('--no-cache', 'compute every embedding afresh')
    .option('--if-missing', 'do nothing when a model already exists in --out')
    .option('--resume [run]', 'continue an interrupted run (default: the newest one under --runs)')
    .action(async (flags: TrainFlags) => {
      const out = resolve(flags.out)
      if (flags.ifMissing && existsSync(join(out, 'card.json'))) {
        console.log(`A model already exists in ${out}; skipping training (drop --if-missing to retrain).`)
        return
      }
      const { run, options, resumeFrom } = flags.resume ? await resumeRun(flags) : await newRun(flags, out)
      await train(run, options, resumeFrom)
    })
}

async function newRun(flags: TrainFlags, out: string) {
  const options: TransferTrainOptions = {
    data: resolve(flags.data),
    out,
    backbone: flags.backbone ?? PRESETS[flags.preset].backbone,
    modelsDir: flags.models,
    backend: flags.backend,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    learningRate: flags.lr,
    valSplit: flags.valSplit,
    seed: flags.seed,
    hidden: flags.hidden,
    limitPerClass: flags.limitPerClass,
    quantization: flags.quantize,
    cacheDir: flags.cache ? flags.cacheDir : false,
  }
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
  return { run, options, resumeFrom: undefined }
}

async function resumeRun(flags: TrainFlags) {
  const run =
    typeof flags.resume === 'string'
      ? new RunDir(resolve(flags.resume))
      : await RunDir.latestInterrupted(resolve(flags.runs))
  if (!run) throw new NothingToResumeError(resolve(flags.runs))
  const record = await run.readRecord()
  const options = record.options as unknown as TransferTrainOptions
  const resumeFrom = existsSync(run.file(CHECKPOINT_FILE))
    ? await run.readJson<HeadCheckpoint>(CHECKPOINT_FILE)
    : undefined
  console.error(`Resuming run ${run.id}${resumeFrom ? ` after epoch ${resumeFrom.epoch}` : ''}.`)
  await run.updateRecord({ status: 'running' })
  return { run, options, resumeFrom }
}

async function train(run: RunDir, options: TransferTrainOptions, resumeFrom: HeadCheckpoint | undefined) {
  const reporter = createReporter()
  const stop = listenForStop(() => reporter.info('Stopping after this step (Ctrl-C again to quit at once)…'))
  try {
    const summary = await trainTransfer(options, { reporter, run, stop, resumeFrom })
    await run.updateRecord({
      status: 'done',
      finishedAt: new Date().toISOString(),
      wallSeconds: Math.round(summary.wallSeconds * 10) / 10,
    })
    const report = await writeReport(run.path)
    const { metrics, float32, card } = summary
    console.log(
      [
        `validation accuracy: ${percent(metrics.accuracy)} (${Math.round(metrics.accuracy * metrics.count)}/${metrics.count}); float32 ${percent(float32.accuracy)}`,
        `validation log loss: ${metrics.logLoss.toFixed(4)}; float32 ${float32.logLoss.toFixed(4)}`,
        `model ${card.version} (${card.quantization}) written to ${options.out}`,
        `run: ${run.path}`,
        `report: ${report}`,
        `wall time: ${summary.wallSeconds.toFixed(1)} s on ${summary.backend}`,
      ].join('\n'),
    )
  } catch (error) {
    await run.updateRecord({ status: error instanceof StopRequested ? 'interrupted' : 'failed' })
    if (error instanceof StopRequested) {
      console.error(`${error.message} (run ${run.path})`)
      process.exitCode = 130
      return
    }
    throw error
  } finally {
    stop.dispose()
  }
}

class NothingToResumeError extends Error {
  readonly code = 'NOTHING_TO_RESUME'
  constructor(runs: string) {
    super(`No interrupted run under ${runs}; start a new one without --resume.`)
    this.name = 'NothingToResumeError'
  }
}

const percent = (v: number) => `${(v * 100).toFixed(2)} %`

/** Named starting points; every flag still overrides what a preset chooses. */
export const PRESETS = {
  fast: { backbone: DEFAULT_BACKBONE },
  accurate: { backbone: 'mobilenet_v1_1.0_pw12' },
} as const satisfies Record<string, { backbone: BackboneName }>

interface TrainFlags {
  data: string
  out: string
  runs: string
  preset: keyof typeof PRESETS
  backbone?: string
  models: string
  backend: BackendChoice
  epochs: number
  batchSize: number
  lr: number
  valSplit: number
  hidden: number
  seed: number
  limitPerClass?: number
  quantize: Quantization
  ifMissing?: boolean
  cache: boolean
  cacheDir: string
  resume?: boolean | string
}
