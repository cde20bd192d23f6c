import { cp } from 'node:fs/promises'
import { basename } from 'node:path'
import type * as tfl from '@tensorflow/tfjs-layers'
import type { ModelCard } from '@whisker/model-core'
import { convertLayersModel, writeModelDir } from '@whisker/model-core/training'
import type { ResizePolicy } from '@whisker/preprocess'
import { countByLabel, type LabelledFile } from '../data/dataset.ts'
import { explainSpecOf } from '../explain/card.ts'
import type { Reporter } from '../report/reporter.ts'
import { RUN_FILES, type ValidationPrediction } from '../run/records.ts'
import type { RunDir } from '../run/run-dir.ts'
import { fitTemperature } from './calibrate.ts'
import { type CardBase, exportGraph } from './export-graph.ts'
import type { ClassificationMetrics } from './metrics.ts'
import type { TrainOptions } from './options.ts'
import { diskQuantizationMemory, noQuantizationMemory } from './quantization-memory.ts'
import { ValidationSet } from './validation-set.ts'

export const GRAPH = { input: 'pixels', output: 'probabilities' } as const

export interface TrainedModel {
  /** The whole float32 network, taking inputs already normalized. */
  model: tfl.LayersModel
  architecture: ModelCard['architecture']
  policy: ResizePolicy
  normalization: ModelCard['input']['normalization']
  /** The Layers model's validation probabilities, in `val` order: what calibration fits. */
  valProbabilities: Float32Array[]
  /** The last convolutional feature map's shape (batch, height, width, channels), for heatmaps. */
  featureShape: readonly (number | null)[]
  /** Names the quantization choice remembered for this architecture. */
  memoryKey: string
  epochs: number
}

export interface TrainSummary {
  card: ModelCard
  metrics: ClassificationMetrics
  float32: ClassificationMetrics
  wallSeconds: number
  backend: string
}

interface FinishContext {
  options: TrainOptions
  labels: string[]
  train: LabelledFile[]
  val: LabelledFile[]
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
  const temperature = fitTemperature(trained.valProbabilities, Array.from(val, labelIndex))
  reporter.info(`calibration: temperature ${temperature.toFixed(3)}`)
  const { nodes, tensors } = convertLayersModel(trained.model, {
    inputName: GRAPH.input,
    outputName: GRAPH.output,
    normalization: trained.normalization,
    temperature,
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
    calibration: { temperature, fittedOn: options.valData ? 'validation folder' : 'validation split' },
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
  const validation = await ValidationSet.load(val, labels, trained.policy)
  const memory = options.cacheDir
    ? diskQuantizationMemory(options.cacheDir, trained.memoryKey)
    : noQuantizationMemory

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
          memory,
        )
  const wallSeconds = (performance.now() - context.started) / 1000
  exported.card.training.wallSeconds = Math.round(wallSeconds * 10) / 10
  await writeModelDir(run.file(RUN_FILES.model), { ...exported.graph, card: exported.card })
  await run.writeJson(RUN_FILES.predictions, predictionsOf(val, exported.probabilities, labelIndex))
  await writeModelDir(options.out, { ...exported.graph, card: exported.card })
  await cp(run.file(RUN_FILES.split), `${options.out}/${RUN_FILES.split}`)
  return {
    card: exported.card,
    metrics: exported.metrics,
    float32: float32.metrics,
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
