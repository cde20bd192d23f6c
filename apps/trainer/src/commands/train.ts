import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Quantization } from '@whisker/model-core'
import { DEFAULT_BACKBONE } from '@whisker/model-core/training'
import { Command, InvalidArgumentError, Option } from 'commander'
import { defaultEmbeddingCacheDir } from '../data/embedding-cache.ts'
import { DEFAULTS } from '../paths.ts'
import { createReporter } from '../report/reporter.ts'
import { BACKEND_CHOICES, type BackendChoice } from '../train/backend.ts'
import { trainTransfer } from '../train/train-transfer.ts'

export function trainCommand(): Command {
  return new Command('train')
    .description('Train a transfer model on a labelled folder and export it for the Worker.')
    .option(
      '--data <dir>',
      'labelled photos: folder-per-class or Kaggle flat layout (label.id.jpg)',
      DEFAULTS.data,
    )
    .option('--out <dir>', 'where the exported model goes', DEFAULTS.out)
    .option('--backbone <name|path>', 'pretrained backbone (registry name or folder)', DEFAULT_BACKBONE)
    .option('--models <dir>', 'folder of pretrained backbones (WHISKER_MODELS)', DEFAULTS.models)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES).default('auto'))
    .option('--epochs <n>', 'maximum epochs for the head', positiveInt, 60)
    .option('--batch-size <n>', 'head training batch size', positiveInt, 32)
    .option('--lr <x>', 'learning rate', positiveNumber, 1e-3)
    .option('--val-split <fraction>', 'share of photos held out for validation', fraction, 0.2)
    .option('--hidden <n>', 'hidden units in the head (0 = logistic regression)', nonNegativeInt, 64)
    .option('--seed <n>', 'seed for the split', nonNegativeInt, 42)
    .option('--limit-per-class <n>', 'use at most n photos per class (quick runs, tests)', positiveInt)
    .addOption(
      new Option('--quantize <kind>', 'weight quantization')
        .choices(['none', 'float16', 'uint8', 'auto'])
        .default('auto'),
    )
    .option('--cache-dir <dir>', 'where backbone embeddings are cached', defaultEmbeddingCacheDir())
    .option('--no-cache', 'compute every embedding afresh')
    .option('--if-missing', 'do nothing when a model already exists in --out')
    .action(async (opts: TrainFlags) => {
      const out = resolve(opts.out)
      if (opts.ifMissing && existsSync(join(out, 'card.json'))) {
        console.log(`A model already exists in ${out}; skipping training (drop --if-missing to retrain).`)
        return
      }
      const summary = await trainTransfer(
        {
          data: resolve(opts.data),
          out,
          backbone: opts.backbone,
          modelsDir: opts.models,
          backend: opts.backend,
          epochs: opts.epochs,
          batchSize: opts.batchSize,
          learningRate: opts.lr,
          valSplit: opts.valSplit,
          seed: opts.seed,
          hidden: opts.hidden,
          limitPerClass: opts.limitPerClass,
          quantization: opts.quantize,
          cacheDir: opts.cache ? opts.cacheDir : false,
        },
        createReporter(),
      )
      const { metrics, card } = summary
      console.log(
        [
          `validation accuracy: ${(metrics.accuracy * 100).toFixed(2)} % (${Math.round(metrics.accuracy * metrics.count)}/${metrics.count})`,
          `validation log loss: ${metrics.logLoss.toFixed(4)}`,
          `model ${card.version} (${card.quantization}) written to ${out}`,
          `wall time: ${summary.wallSeconds.toFixed(1)} s on ${summary.backend}`,
        ].join('\n'),
      )
    })
}

interface TrainFlags {
  data: string
  out: string
  backbone: string
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
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer')
  return n
}

function nonNegativeInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}

function positiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number')
  return n
}

function fraction(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    throw new InvalidArgumentError('expected a number between 0 and 1')
  return n
}
