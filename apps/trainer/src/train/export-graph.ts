import type { GraphNode, ModelCard, Quantization } from '@whisker/model-core'
import {
  autoQuantize,
  contentVersion,
  type NamedTensor,
  type SerializedGraph,
  serializeGraph,
} from '@whisker/model-core/training'
import type { Reporter } from '../report/reporter.ts'
import { type ClassificationMetrics, scoreProbabilities } from './metrics.ts'
import { noQuantizationMemory, type QuantizationMemory } from './quantization-memory.ts'
import type { ValidationSet } from './validation-set.ts'

/** A card without the fields that depend on the exported bytes and their measurement. */
export type CardBase = Omit<ModelCard, 'version' | 'createdAt' | 'quantization' | 'metrics'>

export interface ExportedModel {
  graph: SerializedGraph
  card: ModelCard
  metrics: ClassificationMetrics
  /** Validation probabilities of the exported graph, in the validation set's order. */
  probabilities: Float32Array[]
}

/**
 * Float32 inference graph → the stored model: quantized as asked (`auto` searches per tensor against
 * validation accuracy), then measured through the one predictor, so the card's metrics describe the
 * bytes that are served.
 */
export async function exportGraph(
  nodes: GraphNode[],
  tensors: NamedTensor[],
  base: CardBase,
  quantization: Quantization,
  validation: ValidationSet,
  reporter: Reporter,
  /** Float32 validation accuracy, when already measured (the reference for `auto`). */
  float32Accuracy?: number,
  /** Where `auto` finds the last choice for this architecture to try first, and leaves its own. */
  memory: QuantizationMemory = noQuantizationMemory,
): Promise<ExportedModel> {
  const cardFor = async (graph: SerializedGraph, metrics = EMPTY_METRICS): Promise<ModelCard> => ({
    ...base,
    version: await contentVersion(graph),
    createdAt: new Date().toISOString(),
    quantization,
    metrics,
  })
  const withCard = async (graph: SerializedGraph) => ({ ...graph, card: await cardFor(graph) })

  // Validation probabilities of graphs already measured: the chosen candidate is not measured twice.
  const measured = new WeakMap<SerializedGraph, Float32Array[]>()
  let graph: SerializedGraph
  if (quantization === 'auto') {
    const progress = reporter.stage('quantize', 1)
    const auto = await autoQuantize(nodes, tensors, {
      maxAccuracyDrop: 0.002,
      referenceAccuracy: float32Accuracy,
      previous: await memory.recall(),
      evaluate: async (candidate) => {
        const scored = await validation.probabilities(await withCard(candidate))
        measured.set(candidate, scored)
        return scoreProbabilities(scored, validation.truth).accuracy
      },
      probe: async (candidate) => validation.probabilities(await withCard(candidate), 32),
    })
    progress(1)
    await memory.remember(auto.choice)
    const how = auto.reusedPrevious
      ? 'the last run’s choice, still within budget'
      : `searched; ${percent(auto.float16Accuracy ?? Number.NaN)} all float16`
    reporter.info(
      `quantization: ${auto.uint8Tensors} tensors uint8, ${auto.float16Tensors} float16 ` +
        `(accuracy ${percent(auto.accuracy)} vs ${percent(auto.referenceAccuracy)} float32; ${how}; ${auto.evaluations} evaluations)`,
    )
    graph = auto.graph
  } else graph = serializeGraph(nodes, tensors, quantization)

  const probabilities = measured.get(graph) ?? (await validation.probabilities(await withCard(graph)))
  const metrics = scoreProbabilities(probabilities, validation.truth)
  const card = await cardFor(graph, {
    valAccuracy: metrics.accuracy,
    valLogLoss: metrics.logLoss,
    valCount: metrics.count,
  })
  return { graph, card, metrics, probabilities }
}

const EMPTY_METRICS = { valAccuracy: 0, valLogLoss: 0, valCount: 0 }
const percent = (v: number) => `${(v * 100).toFixed(2)} %`
