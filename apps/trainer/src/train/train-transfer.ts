import { cp } from 'node:fs/promises'
import { basename } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { ModelCard, Quantization } from '@whisker/model-core'
import {
  assembleTransferModel,
  type BackboneSpec,
  convertLayersModel,
  createEmbedder,
  loadBackbone,
  writeModelDir,
} from '@whisker/model-core/training'
import type { ResizePolicy } from '@whisker/preprocess'
import { countByLabel, type Dataset, type LabelledFile, readDataset } from '../data/dataset.ts'
import { embedFiles } from '../data/embed.ts'
import { diskEmbeddingCache, noEmbeddingCache } from '../data/embedding-cache.ts'
import { limitPerClass, splitByName } from '../data/split.ts'
import { explainSpecOf } from '../explain/card.ts'
import type { Reporter } from '../report/reporter.ts'
import type { StopSignal } from '../run/interrupt.ts'
import { RUN_FILES, type ValidationPrediction } from '../run/records.ts'
import type { RunDir } from '../run/run-dir.ts'
import { type BackendChoice, selectBackend } from './backend.ts'
import { fitTemperature } from './calibrate.ts'
import { type CardBase, exportGraph } from './export-graph.ts'
import { fitHead, type HeadCheckpoint } from './fit-head.ts'
import type { ClassificationMetrics } from './metrics.ts'
import { ValidationSet } from './validation-set.ts'

export interface TransferTrainOptions {
  data: string
  out: string
  backbone: string
  modelsDir?: string
  backend: BackendChoice
  epochs: number
  batchSize: number
  learningRate: number
  valSplit: number
  seed: number
  hidden: number
  limitPerClass?: number
  quantization: Quantization
  /** Embedding cache folder, or false to compute every embedding afresh. */
  cacheDir: string | false
}

export interface TrainContext {
  reporter: Reporter
  run: RunDir
  stop: StopSignal
  /** Head state of an interrupted run being resumed. */
  resumeFrom?: HeadCheckpoint
}

export interface TrainSummary {
  card: ModelCard
  metrics: ClassificationMetrics
  float32: ClassificationMetrics
  wallSeconds: number
  backend: string
}

const GRAPH = { input: 'pixels', output: 'probabilities' } as const
const EMBED_BATCH = 32
/** Bump when the exporter's numerics change, to invalidate cached embeddings. */
const EMBEDDING_GRAPH_REVISION = 'g1'
export const CHECKPOINT_FILE = 'checkpoint.json'

/** Photos → frozen backbone embeddings → trained, calibrated head → exported, evaluated graph model. */
export async function trainTransfer(
  options: TransferTrainOptions,
  context: TrainContext,
): Promise<TrainSummary> {
  const { reporter, run, stop } = context
  const started = performance.now()
  const backend = await selectBackend(options.backend)
  reporter.info(`backend: ${backend.backend}`, { skipped: backend.skipped, notes: backend.notes })
  for (const note of backend.notes) reporter.info(`  ${note}`)

  const dataset = await readDataset(options.data)
  let split = splitByName(dataset.files, options.valSplit, options.seed)
  if (options.limitPerClass) split = limitPerClass(split, options.limitPerClass, options.valSplit)
  reporter.info(`dataset: ${dataset.files.length} photos in ${dataset.labels.length} classes`, {
    classCounts: countByLabel(dataset.files),
    train: split.train.length,
    val: split.val.length,
    skipped: dataset.skipped.length,
  })

  const backbone = await loadBackbone({ backbone: options.backbone, modelsDir: options.modelsDir })
  reporter.info(`backbone: ${backbone.spec.name} from ${backbone.from}`)
  const policy: ResizePolicy = { mode: 'center-crop', size: backbone.spec.inputSize, filter: 'bilinear' }
  const embedder = await createEmbedder(backbone)
  const cache = options.cacheDir
    ? diskEmbeddingCache(options.cacheDir, embeddingNamespace(backbone.spec.name, policy), embedder.dim)
    : noEmbeddingCache
  const embed = (files: LabelledFile[], stage: string) =>
    embedFiles(files, embedder, {
      policy,
      batchSize: EMBED_BATCH,
      cache,
      stop,
      onProgress: reporter.stage(stage, files.length),
    })
  const train = await embed(split.train, 'embed train')
  const val = await embed(split.val, 'embed val')
  embedder.dispose()
  const unreadable = [...train.unreadable, ...val.unreadable]
  reporter.info(
    `embeddings: ${train.cacheHits + val.cacheHits} of ${train.files.length + val.files.length} from cache`,
  )
  for (const u of unreadable) reporter.info(`  unreadable, skipped: ${u.name} (${u.reason})`)
  await run.updateRecord({
    backend: { name: backend.backend, skipped: backend.skipped },
    dataset: {
      root: options.data,
      labels: dataset.labels,
      classCounts: countByLabel(dataset.files),
      train: train.files.length,
      val: val.files.length,
      skipped: [...dataset.skipped, ...unreadable],
    },
  })
  await run.writeJson(RUN_FILES.split, {
    train: train.files.map((f) => f.name),
    val: val.files.map((f) => f.name),
  })

  const labelIndex = (f: LabelledFile) => dataset.labels.indexOf(f.label)
  const epochProgress = reporter.stage('train head', options.epochs)
  const fit = await fitHead(
    { x: train.embeddings, y: Int32Array.from(train.files, labelIndex) },
    { x: val.embeddings, y: Int32Array.from(val.files, labelIndex) },
    embedder.dim,
    {
      head: { hidden: options.hidden, dropout: 0.4, l2: 1e-3, classes: dataset.labels.length },
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      patience: 10,
      plateau: 4,
      seed: options.seed,
      stop,
      resumeFrom: context.resumeFrom,
      onEpoch: async (record, checkpoint) => {
        epochProgress(record.epoch, { loss: record.loss, val_loss: record.val_loss, val_acc: record.val_acc })
        await run.writeHistory(checkpoint.history)
        await run.writeJson(CHECKPOINT_FILE, checkpoint)
      },
    },
  )
  epochProgress(options.epochs)
  reporter.info(`head: best epoch ${fit.bestEpoch + 1} of ${fit.history.length}`)

  // Calibrate on the float32 head's validation probabilities (the float32 graph computes the same).
  const valTruth = Array.from(val.files, labelIndex)
  const temperature = fitTemperature(headProbabilities(fit.head, val.embeddings, embedder.dim), valTruth)
  reporter.info(`calibration: temperature ${temperature.toFixed(3)}`)
  const { nodes, tensors } = convertLayersModel(assembleTransferModel(backbone, fit.head), {
    inputName: GRAPH.input,
    outputName: GRAPH.output,
    normalization: backbone.spec.normalization,
    temperature,
  })
  const base = cardBase({
    dataset,
    policy,
    backbone: backbone.spec,
    options,
    temperature,
    train: train.files,
    valCount: val.files.length,
    epochs: fit.history.length,
  })
  base.explain = explainSpecOf(nodes, GRAPH.output, backbone.model.outputs[0]!.shape)
  const validation = await ValidationSet.load(val.files, dataset.labels, policy)

  // The float32 graph is the run's re-export source (`whisker export`) and the accuracy reference.
  const float32 = await exportGraph(nodes, tensors, base, 'none', validation, reporter)
  await writeModelDir(run.file(RUN_FILES.float32), { ...float32.graph, card: float32.card })
  const exported =
    options.quantization === 'none'
      ? float32
      : await exportGraph(
          nodes,
          tensors,
          base,
          options.quantization,
          validation,
          reporter,
          float32.metrics.accuracy,
        )
  const wallSeconds = (performance.now() - started) / 1000
  exported.card.training.wallSeconds = Math.round(wallSeconds * 10) / 10
  await writeModelDir(run.file(RUN_FILES.model), { ...exported.graph, card: exported.card })
  await run.writeJson(RUN_FILES.predictions, predictionsOf(val.files, exported.probabilities, labelIndex))
  await writeModelDir(options.out, { ...exported.graph, card: exported.card })
  await cp(run.file(RUN_FILES.split), `${options.out}/${RUN_FILES.split}`)
  return {
    card: exported.card,
    metrics: exported.metrics,
    float32: float32.metrics,
    wallSeconds,
    backend: backend.backend,
  }
}

/** Everything that changes an embedding, so a cache entry is only reused for the same computation. */
function embeddingNamespace(backbone: string, policy: ResizePolicy): string {
  return [backbone, policy.mode, policy.size, policy.filter, EMBEDDING_GRAPH_REVISION].join('-')
}

interface CardInputs {
  dataset: Dataset
  policy: ResizePolicy
  backbone: BackboneSpec
  options: TransferTrainOptions
  temperature: number
  train: LabelledFile[]
  valCount: number
  epochs: number
}

function cardBase(inputs: CardInputs): CardBase {
  const { dataset, policy, backbone, options } = inputs
  return {
    schemaVersion: 1,
    name: `whisker-${dataset.labels.join('-')}`,
    labels: dataset.labels,
    input: { shape: [policy.size, policy.size, 3], resize: policy, normalization: backbone.normalization },
    architecture: {
      kind: 'transfer',
      backbone: backbone.name,
      head:
        options.hidden > 0 ? `dense(${options.hidden}, relu) → dropout → dense(softmax)` : 'dense(softmax)',
    },
    graph: GRAPH,
    calibration: { temperature: inputs.temperature, fittedOn: 'validation split' },
    training: {
      dataset: basename(options.data),
      classCounts: countByLabel(inputs.train),
      trainCount: inputs.train.length,
      valCount: inputs.valCount,
      epochs: inputs.epochs,
      seed: options.seed,
      wallSeconds: 0,
    },
  }
}

function predictionsOf(
  files: readonly LabelledFile[],
  probabilities: readonly Float32Array[],
  labelIndex: (f: LabelledFile) => number,
): ValidationPrediction[] {
  return files.map((f, i) => ({
    name: f.name,
    path: f.path,
    truth: labelIndex(f),
    probabilities: Array.from(probabilities[i]!),
  }))
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
