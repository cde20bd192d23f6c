import type { GraphNode, ModelCard, Quantization } from '@whisker/model-core'
import {
  autoQuantize,
  contentVersion,
  type NamedTensor,
  type OutputChange,
  outputChange,
  type SerializedGraph,
  serializeGraph,
} from '@whisker/model-core/training'
import { percent } from '../core/format.ts'
import type { Reporter } from '../core/reporter.ts'
import type { PhotoSet } from './photo-set.ts'
import { noQuantizationMemory, type QuantizationMemory } from './quantization-memory.ts'

/** A card without the fields that depend on the exported bytes and their measurement. */
export type CardBase = Omit<
  ModelCard,
  'version' | 'createdAt' | 'quantization' | 'metrics' | 'estimate' | 'exportFidelity'
>

/** What a card says about how good the model is; see `modelCardSchema`. */
export type CardFigures = Pick<ModelCard, 'metrics' | 'estimate' | 'exportFidelity'>

export interface ExportedGraph {
  graph: SerializedGraph
  quantization: Quantization
  /** Its answers on the judging photos, and how far they are from the float32 graph's. */
  probabilities: Float32Array[]
  change: OutputChange
}

/** Photos that quantizing judges on: a few for ranking tensors one by one, more for the verdict. */
const PROBE_PHOTOS = 32

/** The card for exported bytes: content version, creation time and the figures measured for them. */
export async function cardFor(
  graph: SerializedGraph,
  base: CardBase,
  quantization: Quantization,
  figures: CardFigures = UNMEASURED,
): Promise<ModelCard> {
  return {
    ...base,
    version: await contentVersion(graph),
    createdAt: new Date().toISOString(),
    quantization,
    ...figures,
  }
}

/**
 * Float32 inference graph → the bytes to serve, quantized as asked. `auto` searches per tensor and is
 * judged by how far the answers on `judging` move from the float32 graph's (never by accuracy, so judging
 * photos need no labels and can be training photos: the figures stay on photos no choice saw).
 */
export async function exportGraph(
  nodes: GraphNode[],
  tensors: NamedTensor[],
  base: CardBase,
  quantization: Quantization,
  judging: PhotoSet,
  reporter: Reporter,
  /** Where `auto` finds the last choice for this architecture to try first, and leaves its own. */
  memory: QuantizationMemory = noQuantizationMemory,
): Promise<{ float32: ExportedGraph; served: ExportedGraph }> {
  const run = async (graph: SerializedGraph, limit?: number) =>
    judging.probabilities({ ...graph, card: await cardFor(graph, base, quantization) }, limit)
  const float32Graph = serializeGraph(nodes, tensors, 'none')
  const reference = await run(float32Graph)
  const float32: ExportedGraph = {
    graph: float32Graph,
    quantization: 'none',
    probabilities: reference,
    change: outputChange(reference, reference),
  }
  if (quantization === 'none') return { float32, served: float32 }
  if (quantization !== 'auto') {
    const graph = serializeGraph(nodes, tensors, quantization)
    const probabilities = await run(graph)
    return {
      float32,
      served: { graph, quantization, probabilities, change: outputChange(reference, probabilities) },
    }
  }

  const progress = reporter.stage('quantize', 1)
  const judged = new WeakMap<SerializedGraph, Float32Array[]>()
  const auto = await autoQuantize(nodes, tensors, {
    reference,
    previous: await memory.recall(),
    judge: async (candidate) => {
      const probabilities = await run(candidate)
      judged.set(candidate, probabilities)
      return probabilities
    },
    probe: (candidate) => run(candidate, PROBE_PHOTOS),
  })
  progress(1)
  await memory.remember(auto.choice)
  const how = auto.reusedPrevious ? 'the last run’s choice, still within budget' : `searched`
  reporter.info(
    `quantization: ${auto.uint8Tensors} tensors uint8, ${auto.float16Tensors} float16, judged on ${judging.size} training photos: ` +
      `${describeChange(auto.change)} (${how}; ${auto.evaluations} judgements)`,
  )
  const probabilities = judged.get(auto.graph) ?? (await run(auto.graph))
  return { float32, served: { graph: auto.graph, quantization, probabilities, change: auto.change } }
}

/** "same top class for 100.0 %, mean KL 0.00012, log-odds shift +0.004": an output change, read aloud. */
export function describeChange(
  change: Pick<OutputChange, 'agreement' | 'meanKl' | 'meanLogOddsShift'>,
): string {
  const shift = change.meanLogOddsShift
  return (
    `same top class for ${percent(change.agreement, 1)}, mean KL ${change.meanKl.toPrecision(2)}, ` +
    `log-odds shift ${shift >= 0 ? '+' : ''}${shift.toFixed(3)}`
  )
}

const UNMEASURED: CardFigures = { metrics: { valAccuracy: 0, valLogLoss: 0, valCount: 0 } }
