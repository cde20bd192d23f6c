import { existsSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import {
  assembleTransferModel,
  createEmbedder,
  createTrunkEmbedder,
  type Embedder,
  type LoadedBackbone,
  loadBackbone,
  splitBackbone,
} from '@whisker/model-core/training'
import type { ResizePolicy } from '@whisker/preprocess'
import { AUGMENT_PRESETS } from '../augment/presets.ts'
import type { LabelledFile } from '../data/dataset.ts'
import { type AugmentedView, type EmbeddedSet, embedFiles } from '../data/embed.ts'
import {
  backboneFingerprint,
  describeRejections,
  diskEmbeddingCache,
  type EmbeddingCache,
  noEmbeddingCache,
} from '../data/embedding-cache.ts'
import { type EpochRecord, RUN_FILES } from '../run/records.ts'
import type { RunDir } from '../run/run-dir.ts'
import { fineTunedProbabilities, fineTuneTop } from './fine-tune.ts'
import { finishTraining, type TrainSummary } from './finish.ts'
import { fitHead, type HeadCheckpoint } from './fit-head.ts'
import type { FineTuneSettings, TrainContext, TrainOptions } from './options.ts'
import { announceBackend, prepareData, recordData } from './prepare.ts'

const EMBED_BATCH = 32
/**
 * Augmented views embedded per training photo when --augment is on. The backbone is frozen, so augmentation
 * cannot be on the fly without embedding every batch afresh; a few cached views per photo give the head
 * most of the benefit and make later runs as fast as unaugmented ones.
 */
const AUGMENTED_VIEWS = 2
/** Bump when the exporter's numerics change, to invalidate cached embeddings. */
const EMBEDDING_GRAPH_REVISION = 'g1'
export const CHECKPOINT_FILE = 'checkpoint.json'

export class ImageSizeMismatchError extends Error {
  readonly code = 'IMAGE_SIZE_MISMATCH'
  constructor(backbone: string, size: number, asked: number) {
    super(`Backbone ${backbone} takes ${size}×${size} inputs; --image-size ${asked} does not fit it.`)
    this.name = 'ImageSizeMismatchError'
  }
}

/** Photos → frozen backbone embeddings → trained, calibrated head → exported, evaluated graph model. */
export async function trainTransfer(options: TrainOptions, context: TrainContext): Promise<TrainSummary> {
  const { reporter, run, stop } = context
  const started = performance.now()
  const backend = await announceBackend(options.backend, reporter)
  const prepared = await prepareData(options, reporter)

  const backbone = await loadBackbone({ backbone: options.backbone, modelsDir: options.modelsDir })
  reporter.info(`backbone: ${backbone.spec.name} from ${backbone.from}`)
  const size = backbone.spec.inputSize
  if (options.imageSize !== undefined && options.imageSize !== size) {
    throw new ImageSizeMismatchError(backbone.spec.name, size, options.imageSize)
  }
  const policy: ResizePolicy = { mode: 'center-crop', size, filter: 'bilinear' }
  const embedded = await embedSplit(backbone, policy, prepared.split, options, context)
  const { train, photos, val, unreadable, dim } = embedded
  await recordData(run, backend, prepared, { train: photos, val: val.files, unreadable }, options)

  const labelIndex = (f: LabelledFile) => prepared.labels.indexOf(f.label)
  const epochProgress = reporter.stage('train head', options.epochs)
  const fit = await fitHead(
    { x: train.embeddings, y: Int32Array.from(train.files, labelIndex) },
    { x: val.embeddings, y: Int32Array.from(val.files, labelIndex) },
    dim,
    {
      head: { hidden: options.hidden, dropout: 0.4, l2: 1e-3, classes: prepared.labels.length },
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      patience: 10,
      plateau: 4,
      seed: options.seed,
      stop,
      resumeFrom: context.resume ? await readCheckpoint(run) : undefined,
      onEpoch: async (record, checkpoint) => {
        epochProgress(record.epoch, { loss: record.loss, val_loss: record.val_loss, val_acc: record.val_acc })
        await run.writeHistory(checkpoint.history)
        await run.writeJson(CHECKPOINT_FILE, checkpoint)
      },
    },
  )
  epochProgress(options.epochs)
  reporter.info(`head: best epoch ${fit.bestEpoch + 1} of ${fit.history.length}`)
  // The float32 head on the validation embeddings computes what the float32 graph would.
  let valProbabilities = headProbabilities(fit.head, val.embeddings, dim)
  if (options.fineTune) {
    const labelled = { train: photos, val: val.files, labelIndex }
    valProbabilities = await fineTune(
      backbone,
      fit.head,
      policy,
      labelled,
      options,
      options.fineTune,
      context,
    )
  }

  return finishTraining(
    {
      model: assembleTransferModel(backbone, fit.head),
      architecture: {
        kind: 'transfer',
        backbone: backbone.spec.name,
        head: headDescription(options),
      },
      policy,
      normalization: backbone.spec.normalization,
      valProbabilities,
      featureShape: backbone.model.outputs[0]!.shape,
      memoryKey: `transfer-${embeddingNamespace(backbone.spec.name, policy)}`,
      epochs: fit.history.length,
    },
    {
      options,
      labels: prepared.labels,
      train: photos,
      val: val.files,
      run,
      reporter,
      backend: backend.backend,
      started,
    },
  )
}

async function readCheckpoint(run: RunDir): Promise<HeadCheckpoint | undefined> {
  return existsSync(run.file(CHECKPOINT_FILE)) ? run.readJson<HeadCheckpoint>(CHECKPOINT_FILE) : undefined
}

/**
 * Trains the backbone's top layers together with the fitted head on trunk features (the frozen trunk runs
 * once over every photo); the backbone's own layers change, so the assembled model exports the result.
 * Returns the fine-tuned network's validation probabilities, for calibration.
 */
async function fineTune(
  backbone: LoadedBackbone,
  head: tfl.Sequential,
  policy: ResizePolicy,
  photos: { train: LabelledFile[]; val: LabelledFile[]; labelIndex: (f: LabelledFile) => number },
  options: TrainOptions,
  tune: FineTuneSettings,
  { reporter, run, stop }: TrainContext,
): Promise<Float32Array[]> {
  const split = splitBackbone(backbone.model, tune.layers)
  reporter.info(
    `fine-tuning: the top ${tune.layers} layers (from ${split.cut}), ${split.trainableParameters.toLocaleString('en-US')} parameters, rate ${tune.learningRate}`,
  )
  const trunk = await createTrunkEmbedder(backbone, split)
  // Trunk features depend on the cut: computed afresh, never mixed into the embedding cache.
  const embed = embedding(trunk, policy, noEmbeddingCache, { reporter, stop })
  const asFeatures = (set: EmbeddedSet) => ({
    features: set.embeddings,
    y: Int32Array.from(set.files, photos.labelIndex),
  })
  const train = asFeatures((await withViews(embed, photos.train, options, 'trunk')).all)
  const val = asFeatures(await embed(photos.val, 'trunk val'))
  trunk.dispose()
  const progress = reporter.stage('fine-tune', tune.epochs)
  const history: EpochRecord[] = []
  const tuned = await fineTuneTop({
    split,
    head,
    train,
    val,
    epochs: tune.epochs,
    batchSize: options.batchSize,
    learningRate: tune.learningRate,
    seed: options.seed,
    stop,
    onEpoch: async (record) => {
      progress(record.epoch, { loss: record.loss, val_loss: record.val_loss, val_acc: record.val_acc })
      history.push(record)
      await run.writeJson(RUN_FILES.fineTuneHistory, history)
    },
  })
  progress(tune.epochs)
  reporter.info(
    tuned.bestEpoch < 0
      ? `fine-tuning: no epoch beat the fitted head (val_loss ${tuned.before.val_loss.toFixed(4)}); kept it`
      : `fine-tuning: val_loss ${tuned.before.val_loss.toFixed(4)} → ${tuned.history[tuned.bestEpoch]!.val_loss.toFixed(4)} (epoch ${tuned.bestEpoch + 1})`,
  )
  return fineTunedProbabilities({ split, head }, val)
}

/** Embeds both sides of the split through the frozen backbone, from and into the embedding cache. */
async function embedSplit(
  backbone: LoadedBackbone,
  policy: ResizePolicy,
  split: { train: LabelledFile[]; val: LabelledFile[] },
  options: TrainOptions,
  { reporter, stop }: TrainContext,
) {
  const embedder = await createEmbedder(backbone)
  const cache = options.cacheDir
    ? diskEmbeddingCache(options.cacheDir, {
        namespace: embeddingNamespace(backbone.spec.name, policy),
        backbone: await backboneFingerprint(backbone.from),
        dim: embedder.dim,
      })
    : noEmbeddingCache
  const embed = embedding(embedder, policy, cache, { reporter, stop })
  const { photos: original, all: train } = await withViews(embed, split.train, options, 'embed')
  const val = await embed(split.val, 'embed val')
  embedder.dispose()
  const unreadable = [...original.unreadable, ...val.unreadable]
  reporter.info(
    `embeddings: ${train.cacheHits + val.cacheHits} of ${train.files.length + val.files.length} from cache`,
  )
  const rejected = describeRejections(cache.rejected)
  if (rejected) reporter.info(rejected)
  for (const u of unreadable) reporter.info(`  unreadable, skipped: ${u.name} (${u.reason})`)
  return { train, photos: original.files, val, unreadable, dim: embedder.dim }
}

type Embed = (files: LabelledFile[], stage: string, augment?: AugmentedView) => Promise<EmbeddedSet>

function embedding(
  embedder: Embedder,
  policy: ResizePolicy,
  cache: EmbeddingCache,
  { reporter, stop }: Pick<TrainContext, 'reporter' | 'stop'>,
): Embed {
  return (files, stage, augment) =>
    embedFiles(files, embedder, {
      policy,
      augment,
      batchSize: EMBED_BATCH,
      cache,
      stop,
      onProgress: reporter.stage(stage, files.length),
    })
}

/** The training photos, then — with --augment — AUGMENTED_VIEWS augmented views of each: what a head learns from. */
async function withViews(embed: Embed, files: LabelledFile[], options: TrainOptions, stage: string) {
  const photos = await embed(files, `${stage} train`)
  const views: EmbeddedSet[] = []
  if (options.augment !== 'none') {
    const spec = AUGMENT_PRESETS[options.augment]
    for (let view = 0; view < AUGMENTED_VIEWS; view++) {
      const augment = { preset: options.augment, spec, seed: options.seed, view }
      views.push(await embed(photos.files, `${stage} view ${view + 1}`, augment))
    }
  }
  return {
    photos,
    all: concatenate([photos, ...views]),
  }
}

/** Sets of embeddings as one: the head trains on each photo and its augmented views alike. */
function concatenate(sets: readonly EmbeddedSet[]): EmbeddedSet {
  if (sets.length === 1) return sets[0]!
  const embeddings = new Float32Array(sets.reduce((n, set) => n + set.embeddings.length, 0))
  let offset = 0
  for (const set of sets) {
    embeddings.set(set.embeddings, offset)
    offset += set.embeddings.length
  }
  return {
    files: sets.flatMap((set) => set.files),
    embeddings,
    unreadable: sets.flatMap((set) => set.unreadable),
    cacheHits: sets.reduce((n, set) => n + set.cacheHits, 0),
  }
}

/** Everything that changes an embedding, so a cache entry is only reused for the same computation. */
export function embeddingNamespace(backbone: string, policy: ResizePolicy): string {
  return [backbone, policy.mode, policy.size, policy.filter, EMBEDDING_GRAPH_REVISION].join('-')
}

/** The float32 head's probabilities for embeddings (rows of `dim`). */
function headProbabilities(head: tfl.Sequential, embeddings: Float32Array, dim: number): Float32Array[] {
  const rows = embeddings.length / dim
  const output = tf.tidy(() => head.predict(tf.tensor2d(embeddings, [rows, dim])) as tf.Tensor)
  const flat = output.dataSync() as Float32Array
  output.dispose()
  const classes = flat.length / rows
  return Array.from({ length: rows }, (_, i) => flat.slice(i * classes, (i + 1) * classes))
}

function headDescription(options: TrainOptions): string {
  const head =
    options.hidden > 0 ? `dense(${options.hidden}, relu) → dropout → dense(softmax)` : 'dense(softmax)'
  return options.fineTune ? `${head}; the backbone's top ${options.fineTune.layers} layers fine-tuned` : head
}
