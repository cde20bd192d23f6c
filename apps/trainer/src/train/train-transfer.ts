import { writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { ModelCard, Quantization } from '@whisker/model-core'
import {
  assembleTransferModel,
  autoQuantize,
  type BackboneSpec,
  contentVersion,
  convertLayersModel,
  createEmbedder,
  loadBackbone,
  type SerializedGraph,
  serializeGraph,
  writeModelDir,
} from '@whisker/model-core/training'
import type { ResizePolicy } from '@whisker/preprocess'
import { countByLabel, type Dataset, type LabelledFile, readDataset } from '../data/dataset.ts'
import { type EmbeddedSet, embedFiles } from '../data/embed.ts'
import { diskEmbeddingCache, noEmbeddingCache } from '../data/embedding-cache.ts'
import { limitPerClass, splitByName } from '../data/split.ts'
import type { Reporter } from '../report/reporter.ts'
import { type BackendChoice, selectBackend } from './backend.ts'
import { fitTemperature } from './calibrate.ts'
import { fitHead } from './fit-head.ts'
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

export interface TrainSummary {
  card: ModelCard
  metrics: ClassificationMetrics
  wallSeconds: number
  backend: string
}

const GRAPH = { input: 'pixels', output: 'probabilities' } as const
const EMBED_BATCH = 32
/** Bump when the exporter's numerics change, to invalidate cached embeddings. */
const EMBEDDING_GRAPH_REVISION = 'g1'

/** Photos → frozen backbone embeddings → trained head → exported, evaluated graph model in `out`. */
export async function trainTransfer(
  options: TransferTrainOptions,
  reporter: Reporter,
): Promise<TrainSummary> {
  const started = performance.now()
  const backend = await selectBackend(options.backend)
  reporter.info(`backend: ${backend.backend}`, { backend: backend.backend, skipped: backend.skipped })
  for (const s of backend.skipped) reporter.info(`  skipped ${s.choice}: ${s.reason}`)

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
      onProgress: reporter.stage(stage, files.length),
    })
  const train = await embed(split.train, 'embed train')
  const val = await embed(split.val, 'embed val')
  embedder.dispose()
  reporter.info(
    `embeddings: ${train.cacheHits + val.cacheHits} of ${train.files.length + val.files.length} from cache`,
  )
  for (const u of [...train.unreadable, ...val.unreadable])
    reporter.info(`  unreadable, skipped: ${u.name} (${u.reason})`)

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
      patience: 8,
      seed: options.seed,
      onEpoch: (epoch, logs) =>
        epochProgress(epoch + 1, { loss: logs.loss, val_loss: logs.val_loss, val_acc: logs.val_acc }),
    },
  )
  epochProgress(options.epochs)
  reporter.info(`head: best epoch ${fit.bestEpoch + 1} of ${fit.history.length}`)

  // Calibrate on the float32 head's validation probabilities (same numbers as the float graph).
  const valTruth = Array.from(val.files, labelIndex)
  const temperature = fitTemperature(headProbabilities(fit.head, val.embeddings, embedder.dim), valTruth)
  reporter.info(`calibration: temperature ${temperature.toFixed(3)}`)
  const converted = convertLayersModel(assembleTransferModel(backbone, fit.head), {
    inputName: GRAPH.input,
    outputName: GRAPH.output,
    normalization: backbone.spec.normalization,
    temperature,
  })
  const draft = (graph: SerializedGraph, metrics = { valAccuracy: 0, valLogLoss: 0, valCount: 0 }) =>
    buildCard({
      graph,
      metrics,
      dataset,
      policy,
      backbone: backbone.spec,
      options,
      temperature,
      train,
      val,
      epochs: fit.history.length,
    })
  const validation = await ValidationSet.load(val.files, dataset.labels, policy)
  const score = async (graph: SerializedGraph) => validation.score({ ...graph, card: await draft(graph) })

  let graph: SerializedGraph
  if (options.quantization === 'auto') {
    const progress = reporter.stage('quantize', 1)
    const auto = await autoQuantize(converted.nodes, converted.tensors, {
      maxAccuracyDrop: 0.002,
      evaluate: async (candidate) => (await score(candidate)).accuracy,
      probe: async (candidate) =>
        validation.probabilities({ ...candidate, card: await draft(candidate) }, 32),
    })
    progress(1)
    reporter.info(
      `quantization: ${auto.uint8Tensors} tensors uint8, ${auto.float16Tensors} float16 ` +
        `(accuracy ${(auto.accuracy * 100).toFixed(2)} % vs ${(auto.referenceAccuracy * 100).toFixed(2)} % float16; ${auto.evaluations} evaluations)`,
    )
    graph = auto.graph
  } else graph = serializeGraph(converted.nodes, converted.tensors, options.quantization)

  // Validation metrics come from the exported, quantized graph through the one predictor: the numbers
  // describe what is served, not the float32 Layers model.
  const metrics = await score(graph)
  const wallSeconds = (performance.now() - started) / 1000
  const card = await draft(graph, {
    valAccuracy: metrics.accuracy,
    valLogLoss: metrics.logLoss,
    valCount: metrics.count,
  })
  card.training.wallSeconds = Math.round(wallSeconds * 10) / 10
  await writeModelDir(options.out, { ...graph, card })
  await writeFile(
    join(options.out, 'split.json'),
    JSON.stringify({ train: train.files.map((f) => f.name), val: val.files.map((f) => f.name) }),
  )
  return { card, metrics, wallSeconds, backend: backend.backend }
}

/** Everything that changes an embedding, so a cache entry is only reused for the same computation. */
function embeddingNamespace(backbone: string, policy: ResizePolicy): string {
  return [backbone, policy.mode, policy.size, policy.filter, EMBEDDING_GRAPH_REVISION].join('-')
}

interface CardInputs {
  graph: SerializedGraph
  metrics: ModelCard['metrics']
  dataset: Dataset
  policy: ResizePolicy
  backbone: BackboneSpec
  options: TransferTrainOptions
  temperature: number
  train: EmbeddedSet
  val: EmbeddedSet
  epochs: number
}

async function buildCard(inputs: CardInputs): Promise<ModelCard> {
  const { graph, metrics, dataset, policy, backbone, options } = inputs
  return {
    schemaVersion: 1,
    name: `whisker-${dataset.labels.join('-')}`,
    version: await contentVersion(graph),
    createdAt: new Date().toISOString(),
    labels: dataset.labels,
    input: { shape: [policy.size, policy.size, 3], resize: policy, normalization: backbone.normalization },
    architecture: {
      kind: 'transfer',
      backbone: backbone.name,
      head:
        options.hidden > 0 ? `dense(${options.hidden}, relu) → dropout → dense(softmax)` : 'dense(softmax)',
    },
    graph: GRAPH,
    quantization: options.quantization,
    calibration: { temperature: inputs.temperature, fittedOn: 'validation split' },
    metrics,
    training: {
      dataset: basename(options.data),
      classCounts: countByLabel(inputs.train.files),
      trainCount: inputs.train.files.length,
      valCount: inputs.val.files.length,
      epochs: inputs.epochs,
      seed: options.seed,
      wallSeconds: 0,
    },
  }
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
