import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadClassifier, type ModelCard, type Quantization } from '@whisker/model-core'
import {
  assembleTransferModel,
  contentVersion,
  createEmbedder,
  exportGraphModel,
  loadBackbone,
  writeModelDir,
} from '@whisker/model-core/training'
import type { ResizePolicy, RgbImage } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { countByLabel, type LabelledFile, readDataset } from '../data/dataset.ts'
import { embedFiles } from '../data/embed.ts'
import { diskEmbeddingCache, noEmbeddingCache } from '../data/embedding-cache.ts'
import { limitPerClass, splitByName } from '../data/split.ts'
import type { Reporter } from '../report/reporter.ts'
import { type BackendChoice, selectBackend } from './backend.ts'
import { fitHead } from './fit-head.ts'
import { type ClassificationMetrics, scoreProbabilities } from './metrics.ts'

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

  const graph = exportGraphModel(assembleTransferModel(backbone, fit.head), {
    inputName: GRAPH.input,
    outputName: GRAPH.output,
    normalization: backbone.spec.normalization,
    quantization: options.quantization,
  })
  const draft: ModelCard = {
    schemaVersion: 1,
    name: `whisker-${dataset.labels.join('-')}`,
    version: await contentVersion(graph),
    createdAt: new Date().toISOString(),
    labels: dataset.labels,
    input: {
      shape: [policy.size, policy.size, 3],
      resize: policy,
      normalization: backbone.spec.normalization,
    },
    architecture: {
      kind: 'transfer',
      backbone: backbone.spec.name,
      head:
        options.hidden > 0 ? `dense(${options.hidden}, relu) → dropout → dense(softmax)` : 'dense(softmax)',
    },
    graph: GRAPH,
    quantization: options.quantization,
    metrics: { valAccuracy: 0, valLogLoss: 0, valCount: 0 },
    training: {
      dataset: options.data,
      classCounts: countByLabel(train.files),
      trainCount: train.files.length,
      valCount: val.files.length,
      epochs: fit.history.length,
      seed: options.seed,
      wallSeconds: 0,
    },
  }

  // Validation metrics come from the exported, quantized graph through the one predictor: the numbers
  // describe what is served, not the float32 Layers model.
  const metrics = await evaluate({ ...graph, card: draft }, val.files, labelIndex, reporter)
  const wallSeconds = (performance.now() - started) / 1000
  const card: ModelCard = {
    ...draft,
    metrics: { valAccuracy: metrics.accuracy, valLogLoss: metrics.logLoss, valCount: metrics.count },
    training: { ...draft.training, wallSeconds: Math.round(wallSeconds * 10) / 10 },
  }
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

async function evaluate(
  artifacts: Parameters<typeof loadClassifier>[0],
  files: readonly LabelledFile[],
  labelIndex: (f: LabelledFile) => number,
  reporter: Reporter,
): Promise<ClassificationMetrics> {
  const classifier = await loadClassifier(artifacts)
  const progress = reporter.stage('evaluate', files.length)
  const probabilities: Float32Array[] = []
  for (let start = 0; start < files.length; start += EMBED_BATCH) {
    const batch = files.slice(start, start + EMBED_BATCH)
    const images: RgbImage[] = []
    for (const f of batch) images.push(await decodeImage(await readFile(f.path)))
    probabilities.push(...(await classifier.probabilities(images)))
    progress(start + batch.length)
  }
  classifier.dispose()
  return scoreProbabilities(probabilities, files.map(labelIndex))
}
