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
  /**
   * The choice of an earlier search on a graph like this one (same backbone, another head), tried first:
   * its uint8 tensors plus this graph's new ones (in neither list, e.g. a wider head's kernel), then its
   * uint8 tensors alone. The first that keeps accuracy within budget is taken without a search. Tensors
   * missing from this graph, or whose shape changed, are ignored.
   */
  previous?: QuantizationChoice
}

/** Which candidate tensors a search sent to uint8 and which it kept float16, to carry to a later graph. */
export interface QuantizationChoice {
  uint8: readonly ChosenTensor[]
  float16: readonly ChosenTensor[]
}

export interface ChosenTensor {
  name: string
  shape: readonly number[]
}

export interface AutoQuantizeResult {
  graph: SerializedGraph
  accuracy: number
  /** Accuracy of the float32 graph, the reference for the drop. */
  referenceAccuracy: number
  /** Accuracy with every tensor in float16, where a search starts (absent when `previous` passed). */
  float16Accuracy?: number
  uint8Tensors: number
  float16Tensors: number
  /** What was chosen, to pass as `previous` to a later search. */
  choice: QuantizationChoice
  evaluations: number
  /** Whether `previous` passed, so no search ran. */
  reusedPrevious: boolean
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

  const candidates = tensors.filter((t) => isQuantizable(t) && t.data.length >= minElements)
  const floor = reference - options.maxAccuracyDrop - 1e-9
  const result = (uint8: ReadonlySet<string>, graph: SerializedGraph, accuracy: number) => ({
    graph,
    accuracy,
    referenceAccuracy: reference,
    uint8Tensors: uint8.size,
    float16Tensors: tensors.filter(isQuantizable).length - uint8.size,
    choice: {
      uint8: candidates.filter((t) => uint8.has(t.name)).map(chosen),
      float16: candidates.filter((t) => !uint8.has(t.name)).map(chosen),
    },
  })
  let evaluations = options.referenceAccuracy === undefined ? 1 : 0

  for (const uint8 of carriedChoices(candidates, options.previous)) {
    const graph = build(uint8)
    const accuracy = await options.evaluate(graph)
    evaluations++
    if (accuracy >= floor) return { ...result(uint8, graph, accuracy), evaluations, reusedPrevious: true }
  }

  const float16Probe = await options.probe(build(new Set()))
  const harm = new Map<string, number>()
  for (const t of candidates) {
    harm.set(t.name, meanKl(float16Probe, await options.probe(build(new Set([t.name])))))
  }
  const ranked = candidates.map((t) => t.name).sort((a, b) => harm.get(a)! - harm.get(b)!)

  const judge = async (count: number) => {
    evaluations++
    const graph = build(new Set(ranked.slice(0, count)))
    return { count, graph, accuracy: await options.evaluate(graph) }
  }
  const baseline = await judge(0)
  // If float16 alone already costs more than the budget, nothing is quantized further.
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
  return {
    ...result(new Set(ranked.slice(0, best.count)), best.graph, best.accuracy),
    float16Accuracy: baseline.accuracy,
    evaluations,
    reusedPrevious: false,
  }
}

/** The uint8 sets worth trying before a search: with this graph's new tensors, then without them. */
function carriedChoices(
  candidates: readonly NamedTensor[],
  previous: QuantizationChoice | undefined,
): Set<string>[] {
  if (!previous) return []
  const key = (t: { name: string; shape: readonly number[] }) => `${t.name} ${t.shape.join('×')}`
  const uint8 = new Set(previous.uint8.map(key))
  const known = new Set([...uint8, ...previous.float16.map(key)])
  const carried = candidates.filter((t) => uint8.has(key(t))).map((t) => t.name)
  // Nothing of the earlier choice applies here: it says nothing about this graph.
  if (carried.length === 0) return []
  const fresh = candidates.filter((t) => !known.has(key(t))).map((t) => t.name)
  return fresh.length > 0 ? [new Set([...carried, ...fresh]), new Set(carried)] : [new Set(carried)]
}

function chosen(t: NamedTensor): ChosenTensor {
  return { name: t.name, shape: t.shape }
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
