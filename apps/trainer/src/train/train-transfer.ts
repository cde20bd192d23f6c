import { readFile } from 'node:fs/promises'
import type * as tfl from '@tensorflow/tfjs-layers'
import {
  type AnyBackbone,
  type Embedder,
  type LoadedBackbone,
  loadAnyBackbone,
  requireLayers,
  splitBackbone,
  transferGraph,
} from '@whisker/model-core/training'
import { PreprocessError, type ResizePolicy, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { AUGMENT_PRESETS } from '../augment/presets.ts'
import type { Reporter } from '../core/reporter.ts'
import type { LabelledFile } from '../data/dataset.ts'
import { type AugmentedView, type EmbeddedSet, embedFiles, type PhotoEmbedder } from '../data/embed.ts'
import {
  backboneFingerprint,
  describeRejections,
  diskEmbeddingCache,
  type EmbeddingCache,
  embeddingNamespace,
  noEmbeddingCache,
} from '../data/embedding-cache.ts'
import { embedderFor, trunkEmbedderFor } from '../parallel/parallel-embedder.ts'
import { displayPath } from '../paths.ts'
import { type EpochRecord, RUN_FILES } from '../run/records.ts'
import { applyTemperature, fitTemperature } from './calibrate.ts'
import { crossValidateHead, type PhotoViews, rowsOf } from './cross-validate.ts'
import { estimateFrom, formatEstimate } from './estimate.ts'
import { fineTunedProbabilities, fineTuneTop } from './fine-tune.ts'
import { finishTraining, type TrainSummary } from './finish.ts'
import { fitHead } from './fit-head.ts'
import type { FineTuneSettings, TrainContext, TrainOptions } from './options.ts'
import { announceBackend, prepareData, recordData } from './prepare.ts'

const EMBED_BATCH = 32
/**
 * Augmented views embedded per training photo when --augment is on. The backbone is frozen, so augmentation
 * cannot be on the fly without embedding every batch afresh; a few cached views per photo give the head
 * most of the benefit and make later runs as fast as unaugmented ones.
 */
const AUGMENTED_VIEWS = 2

export class ImageSizeMismatchError extends Error {
  readonly code = 'IMAGE_SIZE_MISMATCH'
  constructor(backbone: string, size: number, asked: number) {
    super(`Backbone ${backbone} takes ${size}×${size} inputs; --image-size ${asked} does not fit it.`)
    this.name = 'ImageSizeMismatchError'
  }
}

/**
 * Photos → frozen backbone embeddings (each photo, its mirror, and augmented views) → a head recipe
 * cross-validated on them (every choice made inside the folds) → the head refit on every photo →
 * exported, quantized graph. The card's estimate is the cross-validated figure, or — with --val-data or
 * --val-split — the served graph's figure on those sealed photos.
 */
export async function trainTransfer(options: TrainOptions, context: TrainContext): Promise<TrainSummary> {
  const { reporter, run, stop } = context
  const started = performance.now()
  const backend = await announceBackend(options.backend, reporter)
  // The backbone first: a missing or unusable one is refused before the photos are even listed.
  const backbone = await loadAnyBackbone({ backbone: options.backbone, modelsDir: options.modelsDir })
  reporter.info(`backbone: ${backbone.spec.name} (${backbone.kind} model) from ${displayPath(backbone.from)}`)
  // Refused before any photo is embedded: a graph backbone has constants, not layers, to train.
  const tunable = options.fineTune && requireLayers(backbone, 'fine-tuning (--fine-tune)')
  const size = backbone.spec.inputSize
  if (options.imageSize !== undefined && options.imageSize !== size) {
    throw new ImageSizeMismatchError(backbone.spec.name, size, options.imageSize)
  }
  const prepared = await prepareData(options, reporter)
  const policy: ResizePolicy = { mode: 'center-crop', size, filter: 'bilinear' }
  const embedded = await embedTraining(
    backbone,
    policy,
    prepared.split.train,
    options,
    context,
    backend.backend,
  )
  const { photos, unreadable } = embedded
  const sealed = await readableOnly(prepared.split.val, policy, reporter)
  await recordData(
    run,
    backend,
    prepared,
    { train: photos, val: sealed.files, unreadable: [...unreadable, ...sealed.unreadable] },
    options,
  )

  const labelIndex = (f: LabelledFile) => prepared.labels.indexOf(f.label)
  const data: PhotoViews = {
    dim: embedded.dim,
    views: embedded.views,
    servedViews: options.flipTta ? 2 : 1,
    y: Int32Array.from(photos, labelIndex),
  }
  const recipe = {
    head: { hidden: options.hidden, dropout: 0.4, l2: 1e-3, classes: prepared.labels.length },
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    patience: 10,
  }
  const folds = reporter.stage(`cross-validate (${options.folds} folds)`, options.folds)
  const cv = await crossValidateHead(data, photos, {
    folds: options.folds,
    seed: options.seed,
    fit: recipe,
    stop,
    onFold: (fold, history) => {
      const best = history.reduce((a, b) => (b.val_loss < a.val_loss ? b : a))
      folds(fold + 1, { val_loss: best.val_loss, val_acc: best.val_acc })
    },
  })
  const headEstimate = estimateFrom(
    cv.calibratedOutOfFold,
    Array.from(data.y),
    'cross-validation',
    `${options.folds}-fold cross-validation: each photo answered by a model that was trained, stopped and ` +
      `calibrated without it; then refit on all ${photos.length} photos`,
    options.folds,
  )
  reporter.info(
    `cross-validated estimate${options.fineTune ? ' (the head alone)' : ''}: ${formatEstimate(headEstimate)}; best epochs ${cv.bestEpochs.join(', ')}`,
  )

  const refit = reporter.stage('refit head on every photo', cv.epochs)
  const fit = await fitHead(rowsOf(data, allPhotos(photos), data.views.length), undefined, data.dim, {
    ...recipe,
    epochs: cv.epochs,
    seed: options.seed,
    stop,
    onEpoch: async (record, checkpoint) => {
      refit(record.epoch, { loss: record.loss })
      await run.writeHistory(checkpoint.history)
    },
  })
  refit(cv.epochs)
  let estimate = headEstimate
  let answered = { files: photos as readonly LabelledFile[], probabilities: cv.calibratedOutOfFold }
  let temperature = cv.temperature
  let calibratedOn = `out-of-fold predictions of ${photos.length} photos`
  if (options.fineTune && tunable) {
    const tuning = await fineTuning(
      tunable,
      policy,
      photos,
      data,
      options,
      options.fineTune,
      context,
      backend.backend,
    )
    // The estimate: the whole recipe run without fold 0, then asked about it. Inside, fold 1 is what the
    // head never trains on and fine-tuning watches: it picks the fine-tuning epoch and the temperature, which
    // the shipped network then reuses. Its head trains for the epochs of folds that never watched 0 or 1.
    const held = foldMembers(cv.assignment, 0)
    const watch = foldMembers(cv.assignment, 1)
    const rest = photos.flatMap((_, i) => (cv.assignment[i]! > 1 ? [i] : []))
    const k = cv.folds
    const independent = cv.bestEpochs.filter((_, f) => f > 1 && (f + 1) % k > 1)
    const trialHead = await fitHead(rowsOf(data, rest, data.views.length), undefined, data.dim, {
      ...recipe,
      epochs: medianEpochs(independent.length > 0 ? independent : cv.bestEpochs),
      seed: options.seed,
      stop,
    })
    const pristine = tuning.split.top.getWeights().map((w) => w.clone())
    const trial = await tuning.tune(trialHead.head, rest, watch, 'fine-tune (estimate)')
    const heldProbabilities = tuning
      .served(trialHead.head, held)
      .map((p) => applyTemperature(p, trial.temperature))
    estimate = estimateFrom(
      heldProbabilities,
      held.map((i) => data.y[i]!),
      'holdout',
      `the whole recipe (head and fine-tuning on ${rest.length} photos, epoch and temperature chosen on ` +
        `${watch.length} more) run without one of ${k} folds, then answering its ${held.length} photos; ` +
        `the shipped model then learns from all ${photos.length}`,
      k,
    )
    answered = { files: held.map((i) => photos[i]!), probabilities: heldProbabilities }
    tuning.split.top.setWeights(pristine)
    disposeAll(pristine)
    trialHead.head.dispose()
    reporter.info(`estimate with fine-tuning: ${formatEstimate(estimate)}`)
    // The shipped network: the head fitted on every photo, fine-tuned on every photo for the trial's epochs.
    if (trial.epochs > 0) await tuning.tune(fit.head, allPhotos(photos), undefined, 'fine-tune', trial.epochs)
    temperature = trial.temperature
    calibratedOn = `the same recipe's fine-tuned network on ${watch.length} photos it was not trained on`
  }

  return finishTraining(
    {
      convert: (convert) => transferGraph(backbone, fit.head, convert),
      architecture: {
        kind: 'transfer',
        backbone: backbone.spec.name,
        head: headDescription(options),
      },
      policy,
      normalization: backbone.spec.normalization,
      mirrorViews: options.flipTta,
      temperature,
      calibratedOn,
      crossValidated: { estimate, ...answered },
      featureShape: backbone.kind === 'layers' ? backbone.model.outputs[0]!.shape : backbone.featureShape,
      memoryKey: `transfer-${embeddingNamespace(backbone.spec.name, policy)}`,
      epochs: cv.epochs,
    },
    {
      options,
      labels: prepared.labels,
      train: photos,
      val: sealed.files,
      valRole: 'sealed',
      run,
      reporter,
      backend: backend.backend,
      started,
    },
  )
}

const allPhotos = (files: readonly unknown[]) => Array.from(files, (_, i) => i)

/**
 * Fine-tuning of the backbone's top layers together with a fitted head on trunk features: the frozen trunk
 * runs once over every photo and its views. The top shares the backbone's layer objects, so the
 * assembled model exports the result (and a caller restores the top between tunes).
 */
async function fineTuning(
  backbone: LoadedBackbone,
  policy: ResizePolicy,
  photos: LabelledFile[],
  data: PhotoViews,
  options: TrainOptions,
  settings: FineTuneSettings,
  { reporter, run, stop }: TrainContext,
  backendName: string,
) {
  const split = splitBackbone(backbone.model, settings.layers)
  reporter.info(
    `fine-tuning: the top ${settings.layers} layers (from ${split.cut}), ${split.trainableParameters.toLocaleString('en-US')} parameters, rate ${settings.learningRate}`,
  )
  const { embedder: trunk } = await trunkEmbedderFor(backbone, split, settings.layers, options, backendName)
  // Trunk features depend on the cut: computed afresh, never mixed into the embedding cache.
  const embed = embedding(trunk, policy, noEmbeddingCache, { reporter, stop })
  // Worker threads hold the process open: closed however embedding ends (done, interrupted or failed).
  const { sets } = await withViews(embed, photos, options, 'trunk').finally(() => trunk.dispose())
  if (sets[0]!.files.length !== photos.length) throw new Error('trunk features lost photos the head kept')
  const features: PhotoViews = {
    dim: sets[0]!.embeddings.length / photos.length,
    views: sets.map((set) => set.embeddings),
    servedViews: data.servedViews,
    y: data.y,
  }
  const asTrunk = (rows: { x: Float32Array; y: Int32Array }) => ({ features: rows.x, y: rows.y })
  /** The served answer: probabilities averaged over the served views, as `servedProbabilities`. */
  const served = (head: tfl.Sequential, members: readonly number[]) => {
    const views = Array.from({ length: features.servedViews }, (_, v) =>
      fineTunedProbabilities(
        { split, head },
        asTrunk(rowsOf({ ...features, views: [features.views[v]!] }, members, 1)),
      ),
    )
    return members.map((_, j) =>
      views[0]![j]!.map((_, c) => views.reduce((s, view) => s + view[j]![c]!, 0) / views.length),
    )
  }
  return {
    split,
    served,
    /**
     * Fine-tunes on `train`; with `watch`, keeps the epoch `watch` likes best and calibrates on it, else
     * trains exactly `epochs`.
     */
    async tune(
      head: tfl.Sequential,
      train: readonly number[],
      watch: readonly number[] | undefined,
      stage: string,
      epochs = settings.epochs,
    ) {
      const progress = reporter.stage(stage, epochs)
      const history: EpochRecord[] = []
      const tuned = await fineTuneTop({
        split,
        head,
        train: asTrunk(rowsOf(features, train, features.views.length)),
        val: watch && asTrunk(rowsOf(features, watch, 1)),
        epochs,
        batchSize: options.batchSize,
        learningRate: settings.learningRate,
        seed: options.seed,
        stop,
        onEpoch: async (record) => {
          progress(record.epoch, { loss: record.loss, val_loss: record.val_loss, val_acc: record.val_acc })
          history.push(record)
          await run.writeJson(RUN_FILES.fineTuneHistory, history)
        },
      })
      progress(epochs)
      if (!watch) return { epochs, temperature: 1 }
      reporter.info(
        tuned.bestEpoch < 0
          ? `${stage}: no epoch beat the fitted head (val_loss ${tuned.before.val_loss.toFixed(4)}); kept it`
          : `${stage}: val_loss ${tuned.before.val_loss.toFixed(4)} → ${tuned.history[tuned.bestEpoch]!.val_loss.toFixed(4)} (epoch ${tuned.bestEpoch + 1})`,
      )
      const temperature = fitTemperature(
        served(head, watch),
        watch.map((i) => data.y[i]!),
      )
      return { epochs: tuned.bestEpoch + 1, temperature }
    },
  }
}

function foldMembers(assignment: Int32Array, fold: number): number[] {
  return Array.from(assignment.keys()).filter((i) => assignment[i] === fold)
}

function medianEpochs(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

function disposeAll(tensors: readonly { dispose(): void }[]): void {
  for (const t of tensors) t.dispose()
}

/**
 * Embeds the training photos through the frozen backbone, from and into the embedding cache: view 0 is
 * each photo, view 1 its mirror, then --augment's views. Sealed photos are never embedded: only the
 * served graph ever sees them.
 */
async function embedTraining(
  backbone: AnyBackbone,
  policy: ResizePolicy,
  files: LabelledFile[],
  options: TrainOptions,
  { reporter, stop }: TrainContext,
  backendName: string,
) {
  const { embedder, workers } = await embedderFor(backbone, options, backendName)
  if (workers > 1) reporter.info(`embedding on ${workers} worker threads`)
  const cache = options.cacheDir
    ? diskEmbeddingCache(options.cacheDir, {
        namespace: embeddingNamespace(backbone.spec.name, policy),
        backbone: await backboneFingerprint(backbone.from),
        dim: embedder.dim,
      })
    : noEmbeddingCache
  const embed = embedding(embedder, policy, cache, { reporter, stop })
  // Worker threads hold the process open: closed however embedding ends (done, interrupted or failed).
  const views = await withViews(embed, files, options, 'embed').finally(() => embedder.dispose())
  const hits = views.sets.reduce((n, set) => n + set.cacheHits, 0)
  const total = views.sets.reduce((n, set) => n + set.files.length, 0)
  reporter.info(`embeddings: ${hits} of ${total} from cache`)
  const rejected = describeRejections(cache.rejected)
  if (rejected) reporter.info(rejected)
  for (const u of views.photos.unreadable) reporter.info(`  unreadable, skipped: ${u.name} (${u.reason})`)
  return {
    photos: views.photos.files,
    views: views.sets.map((set) => set.embeddings),
    unreadable: views.photos.unreadable,
    dim: embedder.dim,
  }
}

/** The sealed photos that decode; the rest are reported and skipped, as training photos are. */
async function readableOnly(files: LabelledFile[], policy: ResizePolicy, reporter: Reporter) {
  const readable: LabelledFile[] = []
  const unreadable: { name: string; reason: string }[] = []
  for (const file of files) {
    try {
      toModelInput(await decodeImage(await readFile(file.path)), policy)
      readable.push(file)
    } catch (error) {
      if (!(error instanceof PreprocessError)) throw error
      unreadable.push({ name: file.name, reason: `${error.code}: ${error.message}` })
      reporter.info(`  unreadable, skipped: ${file.name} (${error.code})`)
    }
  }
  return { files: readable, unreadable }
}

type Embed = (
  files: LabelledFile[],
  stage: string,
  augment?: AugmentedView,
  mirror?: boolean,
) => Promise<EmbeddedSet>

function embedding(
  embedder: Embedder | PhotoEmbedder,
  policy: ResizePolicy,
  cache: EmbeddingCache,
  { reporter, stop }: Pick<TrainContext, 'reporter' | 'stop'>,
): Embed {
  return (files, stage, augment, mirror) =>
    embedFiles(files, embedder, {
      policy,
      augment,
      mirror,
      batchSize: EMBED_BATCH,
      cache,
      stop,
      onProgress: reporter.stage(stage, files.length),
    })
}

/**
 * The photos, their mirrors, then — with --augment — AUGMENTED_VIEWS augmented views of each: what a head
 * learns from. Photos that fail to decode drop out of the first set, so later views cover the same photos.
 */
async function withViews(embed: Embed, files: LabelledFile[], options: TrainOptions, stage: string) {
  const photos = await embed(files, `${stage} train`)
  const sets: EmbeddedSet[] = [photos, await embed(photos.files, `${stage} mirrored`, undefined, true)]
  if (options.augment !== 'none') {
    const spec = AUGMENT_PRESETS[options.augment]
    for (let view = 0; view < AUGMENTED_VIEWS; view++) {
      const augment = { preset: options.augment, spec, seed: options.seed, view }
      sets.push(await embed(photos.files, `${stage} view ${view + 1}`, augment))
    }
  }
  return { photos, sets }
}

function headDescription(options: TrainOptions): string {
  const head =
    options.hidden > 0 ? `dense(${options.hidden}, relu) → dropout → dense(softmax)` : 'dense(softmax)'
  const tuned = options.fineTune ? `; the backbone's top ${options.fineTune.layers} layers fine-tuned` : ''
  const views = options.flipTta ? '; each answer averaged with the mirrored photo’s features' : ''
  return `${head}${tuned}${views}`
}
