import { cp } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Estimate, ExportFidelity, ModelCard } from '@whisker/model-core'
import { type ConvertedGraph, type ConvertOptions, writeModelDir } from '@whisker/model-core/training'
import type { ResizePolicy } from '@whisker/preprocess'
import { type ClassificationMetrics, scoreProbabilities } from '../core/metrics.ts'
import type { Reporter } from '../core/reporter.ts'
import { countByLabel, type LabelledFile } from '../data/dataset.ts'
import { sampleByName } from '../data/split.ts'
import { explainSpecOf } from '../explain/card.ts'
import { RUN_FILES, type ValidationPrediction } from '../run/records.ts'
import type { RunDir } from '../run/run-dir.ts'
import { estimateFrom } from './estimate.ts'
import { type CardBase, cardFor, exportGraph } from './export-graph.ts'
import type { TrainOptions } from './options.ts'
import { PhotoSet } from './photo-set.ts'
import { diskQuantizationMemory, noQuantizationMemory } from './quantization-memory.ts'

export const GRAPH = { input: 'pixels', output: 'probabilities' } as const

/** Training photos the quantization of `auto` is judged on (any photos do: only answers are compared). */
export const JUDGING_PHOTOS = 256

export interface TrainedModel {
  /** The whole float32 network as exporter graph nodes (convertLayersModel, or transferGraph for a backbone). */
  convert: (options: ConvertOptions) => ConvertedGraph
  architecture: ModelCard['architecture']
  policy: ResizePolicy
  normalization: ModelCard['input']['normalization']
  /** Flip test-time augmentation in the graph (see ConvertOptions.mirrorViews). */
  mirrorViews?: boolean
  /** Temperature scaling, chosen by the trainer on photos other than `val`'s when `val` is sealed. */
  temperature: number
  /** Where the temperature was fitted, for the card. */
  calibratedOn: string
  /**
   * The trainer's own honest figures (cross-validation), with each photo's out-of-fold probabilities
   * (in `train` order) for the report; absent when the run measures on `val` instead.
   */
  crossValidated?: { estimate: Estimate; files: readonly LabelledFile[]; probabilities: Float32Array[] }
  /** The last convolutional feature map's shape (batch, height, width, channels), for heatmaps. */
  featureShape: readonly (number | null)[]
  /** Names the quantization choice remembered for this architecture. */
  memoryKey: string
  epochs: number
}

export interface TrainSummary {
  card: ModelCard
  /** The served graph on `val`, when there is one; the card's estimate is the honest figure. */
  metrics?: ClassificationMetrics
  float32?: ClassificationMetrics
  wallSeconds: number
  backend: string
}

interface FinishContext {
  options: TrainOptions
  labels: string[]
  train: LabelledFile[]
  /** Photos the served graph is measured on (may be empty, with cross-validation). */
  val: LabelledFile[]
  /**
   * `sealed`: no choice of the run saw `val`, so its figure is the estimate (--val-data, --val-split with
   * cross-validation); `validation`: the run chose epochs and temperature on it, so its figure is reported
   * as a validation score and not as what new photos get (the seed CNN).
   */
  valRole: 'sealed' | 'validation'
  run: RunDir
  reporter: Reporter
  backend: string
  started: number
}

/**
 * A trained network → calibrated, exported, quantized and measured model: written to the run
 * directory (float32 re-export source and the served model) and to --out. Shared by every architecture.
 */
export async function finishTraining(trained: TrainedModel, context: FinishContext): Promise<TrainSummary> {
  const { options, labels, val, run, reporter } = context
  const labelIndex = (f: LabelledFile) => labels.indexOf(f.label)
  const { temperature } = trained
  reporter.info(`calibration: temperature ${temperature.toFixed(3)} (${trained.calibratedOn})`)
  const { nodes, tensors } = trained.convert({
    inputName: GRAPH.input,
    outputName: GRAPH.output,
    normalization: trained.normalization,
    temperature,
    mirrorViews: trained.mirrorViews,
  })
  const base: CardBase = {
    schemaVersion: 1,
    name: `whisker-${labels.join('-')}`,
    labels,
    input: {
      shape: [trained.policy.size, trained.policy.size, 3],
      resize: trained.policy,
      normalization: trained.normalization,
    },
    architecture: trained.architecture,
    graph: GRAPH,
    calibration: { temperature, fittedOn: trained.calibratedOn },
    training: {
      dataset: basename(options.data),
      classCounts: countByLabel(context.train),
      trainCount: context.train.length,
      valCount: val.length,
      epochs: trained.epochs,
      seed: options.seed,
      wallSeconds: 0,
    },
  }
  base.explain = explainSpecOf(nodes, GRAPH.output, trained.featureShape)
  const memory = options.cacheDir
    ? diskQuantizationMemory(options.cacheDir, trained.memoryKey)
    : noQuantizationMemory

  const judging = await PhotoSet.load(
    sampleByName(context.train, JUDGING_PHOTOS, options.seed),
    labels,
    trained.policy,
  )
  const { float32, served } = await exportGraph(
    nodes,
    tensors,
    base,
    options.quantization,
    judging,
    reporter,
    memory,
  )
  const exportFidelity: ExportFidelity | undefined =
    served.quantization === 'none' ? undefined : { ...served.change }

  // The served graph (and, for comparison, the float32 one) on the photos set aside, if any.
  let sealed:
    | { served: Float32Array[]; metrics: ClassificationMetrics; float32: ClassificationMetrics }
    | undefined
  if (val.length > 0) {
    const photos = await PhotoSet.load(val, labels, trained.policy)
    const probabilities = async (graph: typeof served.graph, q: ModelCard['quantization']) =>
      photos.probabilities({ ...graph, card: await cardFor(graph, base, q) })
    const servedProbabilities = await probabilities(served.graph, options.quantization)
    sealed = {
      served: servedProbabilities,
      metrics: scoreProbabilities(servedProbabilities, photos.truth),
      float32:
        served === float32
          ? scoreProbabilities(servedProbabilities, photos.truth)
          : scoreProbabilities(await probabilities(float32.graph, 'none'), photos.truth),
    }
  }
  const estimate =
    sealed && context.valRole === 'sealed'
      ? estimateFrom(
          sealed.served,
          val.map(labelIndex),
          options.valData ? 'validation-folder' : 'holdout',
          options.valData
            ? `the served model on ${val.length} photos of a separate folder that no choice of the run saw`
            : `the served model on ${val.length} photos sealed before any choice of the run`,
        )
      : trained.crossValidated?.estimate
  const metrics = estimate
    ? { valAccuracy: estimate.accuracy, valLogLoss: estimate.logLoss, valCount: estimate.count }
    : sealed
      ? {
          valAccuracy: sealed.metrics.accuracy,
          valLogLoss: sealed.metrics.logLoss,
          valCount: sealed.metrics.count,
        }
      : { valAccuracy: 0, valLogLoss: 0, valCount: 0 }

  const float32Card = await cardFor(float32.graph, base, 'none', { metrics, estimate })
  await writeModelDir(run.file(RUN_FILES.float32), { ...float32.graph, card: float32Card })
  const wallSeconds = (performance.now() - context.started) / 1000
  const card = await cardFor(served.graph, base, options.quantization, { metrics, estimate, exportFidelity })
  card.training.wallSeconds = Math.round(wallSeconds * 10) / 10
  await writeModelDir(run.file(RUN_FILES.model), { ...served.graph, card })
  // The report's per-photo view: the sealed photos through the served graph, else the out-of-fold answers.
  const predictions = sealed
    ? predictionsOf(val, sealed.served, labelIndex)
    : trained.crossValidated
      ? predictionsOf(trained.crossValidated.files, trained.crossValidated.probabilities, labelIndex)
      : []
  await run.writeJson(RUN_FILES.predictions, predictions)
  await writeModelDir(options.out, { ...served.graph, card })
  await cp(run.file(RUN_FILES.split), `${options.out}/${RUN_FILES.split}`)
  return {
    card,
    metrics: sealed?.metrics,
    float32: sealed?.float32,
    wallSeconds,
    backend: context.backend,
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
