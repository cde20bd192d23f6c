import type { GraphNode } from '../artifacts.ts'
import { isQuantizable, type TensorEncoding } from './quantize.ts'
import { type SerializedGraph, serializeGraph } from './serialize.ts'
import type { NamedTensor } from './weights.ts'

export interface AutoQuantizeOptions {
  /** Largest accepted validation-accuracy drop against float32, as a fraction (0.002 = 0.2 points). */
  maxAccuracyDrop: number
  /** Accuracy of a candidate graph on held-out data: the judge of the final choice. */
  evaluate: (graph: SerializedGraph) => Promise<number>
  /** Class probabilities of a candidate graph on a few held-out inputs: cheap, used to rank tensors. */
  probe: (graph: SerializedGraph) => Promise<Float32Array[]>
  /** Float32 accuracy when the caller has measured it already; otherwise it is evaluated here. */
  referenceAccuracy?: number
  /** Tensors smaller than this stay float16: uint8 would save under a kilobyte and risk the most. */
  minElements?: number
}

export interface AutoQuantizeResult {
  graph: SerializedGraph
  accuracy: number
  /** Accuracy of the float32 graph, the reference for the drop. */
  referenceAccuracy: number
  /** Accuracy with every tensor in float16, where the search starts. */
  float16Accuracy: number
  uint8Tensors: number
  float16Tensors: number
  evaluations: number
}

/**
 * Per-tensor mixed precision. Folding BatchNorm into kernels widens per-channel ranges and stock tfjs
 * only decodes per-tensor uint8, so some tensors (depthwise kernels above all) must stay float16, and
 * no static error measure predicts which: compounding through fifty layers decides. So each candidate
 * tensor is measured: quantize it alone and see how far the probabilities on a few probe inputs move
 * (KL divergence from float16). Then a binary search over that ranking finds the largest prefix that
 * can go uint8 while validation accuracy stays within `maxAccuracyDrop` of float32.
 */
export async function autoQuantize(
  nodes: GraphNode[],
  tensors: NamedTensor[],
  options: AutoQuantizeOptions,
): Promise<AutoQuantizeResult> {
  const minElements = options.minElements ?? 1024
  const reference =
    options.referenceAccuracy ?? (await options.evaluate(serializeGraph(nodes, tensors, 'none')))
  const build = (uint8: ReadonlySet<string>) =>
    serializeGraph(nodes, tensors, (t): TensorEncoding => (uint8.has(t.name) ? 'uint8' : 'float16'))

  const float16Probe = await options.probe(build(new Set()))
  const candidates = tensors.filter((t) => isQuantizable(t) && t.data.length >= minElements)
  const harm = new Map<string, number>()
  for (const t of candidates) {
    harm.set(t.name, meanKl(float16Probe, await options.probe(build(new Set([t.name])))))
  }
  const ranked = candidates.map((t) => t.name).sort((a, b) => harm.get(a)! - harm.get(b)!)

  let evaluations = options.referenceAccuracy === undefined ? 1 : 0
  const judge = async (count: number) => {
    evaluations++
    const graph = build(new Set(ranked.slice(0, count)))
    return { count, graph, accuracy: await options.evaluate(graph) }
  }
  const baseline = await judge(0)
  // If float16 alone already costs more than the budget, nothing is quantized further.
  const floor = reference - options.maxAccuracyDrop - 1e-9
  let best = baseline
  let low = 1
  let high = ranked.length
  // Accuracy falls (roughly monotonically) as more tensors go uint8; search the largest passing count.
  while (low <= high) {
    const candidate = await judge(Math.floor((low + high) / 2))
    if (candidate.accuracy >= floor) {
      best = candidate
      low = candidate.count + 1
    } else high = candidate.count - 1
  }
  const quantizable = tensors.filter(isQuantizable).length
  return {
    graph: best.graph,
    accuracy: best.accuracy,
    referenceAccuracy: reference,
    float16Accuracy: baseline.accuracy,
    uint8Tensors: best.count,
    float16Tensors: quantizable - best.count,
    evaluations,
  }
}

/** Mean KL(p ‖ q) over inputs: how far q's probabilities moved away from p's. */
function meanKl(p: readonly Float32Array[], q: readonly Float32Array[]): number {
  let total = 0
  p.forEach((row, i) => {
    row.forEach((pi, c) => {
      if (pi > 0) total += pi * Math.log(pi / Math.max(q[i]![c]!, 1e-12))
    })
  })
  return total / p.length
}
