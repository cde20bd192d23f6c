import type * as tfl from '@tensorflow/tfjs-layers'
import {
  buildSeedCnn,
  convertLayersModel,
  type ScheduledOptimizer,
  SEED_CNN_INPUT,
  TimeDecaySgd,
  WarmupCosineAdam,
} from '@whisker/model-core/training'
import type { ResizePolicy } from '@whisker/preprocess'
import type { BatchRecipe } from '../augment/batch-recipe.ts'
import { AUGMENT_PRESETS } from '../augment/presets.ts'
import { percent } from '../core/format.ts'
import type { LabelledFile } from '../data/dataset.ts'
import { PixelSet } from '../data/pixels.ts'
import { stepperFor } from '../parallel/parallel-trainer.ts'
import { fitTemperature } from './calibrate.ts'
import { finishTraining, type TrainSummary } from './finish.ts'
import { fitNetwork } from './fit-network.ts'
import type { TrainContext, TrainOptions } from './options.ts'
import { announceBackend, prepareData, recordData } from './prepare.ts'

/** Epochs without a better validation loss before stopping: the tutorial's curves are noisy epoch to epoch. */
const PATIENCE = 8

/**
 * The reference tutorial's CNN trained from pixels: photos decoded once, augmented on the fly per batch,
 * optimised by the run's schedule (see SEED_CNN_SCHEDULES), then the same calibration, export and
 * quantization as every Whisker model.
 */
export async function trainSeedCnn(options: TrainOptions, context: TrainContext): Promise<TrainSummary> {
  const { reporter, run, stop } = context
  const started = performance.now()
  const backend = await announceBackend(options.backend, reporter)
  const prepared = await prepareData(options, reporter)

  // Keras' flow_from_directory resizes the whole photo to the target size: the tutorial's policy.
  const policy: ResizePolicy = {
    mode: 'stretch',
    size: options.imageSize ?? SEED_CNN_INPUT.size,
    filter: 'bilinear',
  }
  const load = (files: LabelledFile[], stage: string) =>
    PixelSet.load(files, policy, { stop, onProgress: reporter.stage(stage, files.length) })
  const train = await load(prepared.split.train, 'decode train')
  const val = await load(prepared.split.val, 'decode val')
  const unreadable = [...train.unreadable, ...val.unreadable]
  for (const u of unreadable) reporter.info(`  unreadable, skipped: ${u.name} (${u.reason})`)
  await recordData(
    run,
    backend,
    prepared,
    { train: train.set.files, val: val.set.files, unreadable },
    options,
  )

  const labels = prepared.labels
  const labelsOf = (set: PixelSet) => Int32Array.from(set.files, (f) => labels.indexOf(f.label))
  const recipe = { kind: 'seed-cnn', classes: labels.length, seed: options.seed, size: policy.size } as const
  const model = buildSeedCnn(recipe)
  const perEpoch = Math.ceil(train.set.count / options.batchSize)
  const { schedule, patience } = scheduleFor(options, perEpoch)
  model.compile({ optimizer: schedule.optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const batch: BatchRecipe = {
    augment: AUGMENT_PRESETS[options.augment],
    scale: SEED_CNN_INPUT.normalization.scale,
  }
  const { stepper, workers } = await stepperFor(model, schedule, {
    recipe,
    batch,
    backend: backend.backend,
    workers: options.workers,
    batchSize: options.batchSize,
    photos: train.set.store,
  })
  if (workers > 1) reporter.info(`training on ${workers} worker threads, the batch split between them`)
  // One bar over every batch of every epoch: its ETA is for the full --epochs (early stopping ends sooner).
  const progress = reporter.stage('train', options.epochs * perEpoch)
  // Workers hold the process open: closed however training ends (done, stopped or failed).
  const fit = await (async () => {
    try {
      return await fitNetwork(model, schedule, train.set, val.set, {
        stepper,
        trainLabels: labelsOf(train.set),
        valLabels: labelsOf(val.set),
        classes: labels.length,
        epochs: options.epochs,
        batchSize: options.batchSize,
        patience,
        seed: options.seed,
        batch,
        stop,
        run,
        resume: context.resume ?? false,
        onBatch: (epoch, batch, loss) => progress(epoch * perEpoch + batch, { loss }),
        onEpoch: async (record, history) => {
          reporter.info(
            `epoch ${record.epoch}: loss ${record.loss.toFixed(4)}, val_loss ${record.val_loss.toFixed(4)}, ` +
              `val_acc ${percent(record.val_acc)} (${record.seconds.toFixed(1)} s)`,
            { ...record },
          )
          await run.writeHistory(history)
        },
      })
    } finally {
      stepper.dispose()
    }
  })()
  reporter.info(
    patience === undefined
      ? `seed CNN: the last of ${fit.history.length} epochs kept (no epoch chosen on validation)`
      : `seed CNN: best epoch ${fit.bestEpoch + 1} of ${fit.history.length}`,
  )
  schedule.optimizer.dispose()
  // Without early stopping (and with an explicit validation folder or share), nothing was chosen on `val`.
  const sealed = patience === undefined && val.set.count > 0

  return finishTraining(
    {
      convert: (convert) => convertLayersModel(model, convert),
      architecture: {
        kind: 'seed-cnn',
        head: `flatten → dense(64, relu) → dropout → dense(softmax)${options.flipTta ? '; each answer the softmax of the mean logits of the photo and its mirror' : ''}`,
      },
      policy,
      normalization: SEED_CNN_INPUT.normalization,
      mirrorViews: options.flipTta,
      // The tutorial's schedule already chose its epoch on the validation photos, so they calibrate too. A
      // fixed schedule keeps them sealed: no temperature (1), and their figure is the run's estimate.
      ...(sealed
        ? { temperature: 1, calibratedOn: 'not calibrated: the validation photos stay sealed' }
        : {
            temperature: fitTemperature(fit.valProbabilities, Array.from(labelsOf(val.set))),
            calibratedOn: 'validation split',
          }),
      featureShape: featureMapShape(model),
      memoryKey: `seed-cnn-${policy.size}`,
      epochs: fit.history.length,
    },
    {
      options,
      labels,
      train: train.set.files,
      val: val.set.files,
      valRole: sealed ? 'sealed' : 'validation',
      run,
      reporter,
      backend: backend.backend,
      started,
    },
  )
}

/**
 * The run's optimiser and, for the tutorial's schedule, its early-stopping patience. Runs recorded before
 * `--schedule` existed used the tutorial's.
 */
function scheduleFor(
  options: TrainOptions,
  stepsPerEpoch: number,
): { schedule: ScheduledOptimizer; patience?: number } {
  if ((options.schedule ?? 'sgd-decay') === 'sgd-decay') {
    return { schedule: new TimeDecaySgd(options.learningRate), patience: PATIENCE }
  }
  const totalSteps = options.epochs * stepsPerEpoch
  // One epoch of warm-up: Adam's first steps on freshly initialised weights are the least reliable.
  const warmupSteps = Math.min(stepsPerEpoch, Math.floor(totalSteps / 4))
  return { schedule: new WarmupCosineAdam({ learningRate: options.learningRate, totalSteps, warmupSteps }) }
}

/** The feature map the classifier reads: what Flatten takes. */
function featureMapShape(model: tfl.LayersModel): readonly (number | null)[] {
  const flatten = model.layers.find((l) => l.getClassName() === 'Flatten')
  return flatten ? (flatten.input as tfl.SymbolicTensor).shape : []
}
