import type { GraphNode, NamedTensor } from '../artifacts.ts'
import { correctBias, meanLogitShift, outputBiasName } from './bias-correction.ts'
import {
  DEFAULT_OUTPUT_BUDGET,
  type OutputBudget,
  type OutputChange,
  outputChange,
  withinBudget,
} from './output-change.ts'
import { isQuantizable, type TensorEncoding } from './quantize.ts'
import { type SerializedGraph, serializeGraph } from './serialize.ts'

export interface AutoQuantizeOptions {
  /**
   * Class probabilities of a graph on the judging inputs (labelled photos or not: only the change from
   * the float32 graph's answers is judged, never accuracy).
   */
  judge: (graph: SerializedGraph) => Promise<Float32Array[]>
  /** Class probabilities of a graph on a few inputs: cheap, used to rank tensors one by one. */
  probe: (graph: SerializedGraph) => Promise<Float32Array[]>
  /** How far the chosen graph's answers may move from float32's (default DEFAULT_OUTPUT_BUDGET). */
  budget?: OutputBudget
  /** The float32 graph's answers on the judging inputs, when the caller has them already. */
  reference?: Float32Array[]
  /** Tensors smaller than this stay float16: uint8 would save under a kilobyte and risk the most. */
  minElements?: number
  /**
   * The choice of an earlier search on a graph like this one (same backbone, another head), tried first:
   * its uint8 tensors plus this graph's new ones (in neither list, e.g. a wider head's kernel), then its
   * uint8 tensors alone. The first within budget is taken without a search. Tensors missing from this
   * graph, or whose shape changed, are ignored.
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
  /** The chosen graph's answers against float32's, on the judging inputs. */
  change: OutputChange
  /** The same for every tensor in float16, where a search starts (absent when `previous` passed). */
  float16Change?: OutputChange
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
 * can go uint8 while the answers on the judging inputs stay within `budget` of float32's. If even all
 * float16 misses the budget, the graph stays float32.
 */
export async function autoQuantize(
  nodes: GraphNode[],
  tensors: NamedTensor[],
  options: AutoQuantizeOptions,
): Promise<AutoQuantizeResult> {
  const minElements = options.minElements ?? 1024
  const budget = options.budget ?? DEFAULT_OUTPUT_BUDGET
  let evaluations = 0
  const float32 = serializeGraph(nodes, tensors, 'none')
  const reference = options.reference ?? (await options.judge(float32))
  const build = (uint8: ReadonlySet<string>, weights: NamedTensor[] = tensors) =>
    serializeGraph(nodes, weights, (t): TensorEncoding => (uint8.has(t.name) ? 'uint8' : 'float16'))
  const judge = async (graph: SerializedGraph) => {
    evaluations++
    const answers = await options.judge(graph)
    const change = outputChange(reference, answers)
    return { graph, change, answers, passes: withinBudget(change, budget) }
  }
  const biasName = outputBiasName(nodes)
  /**
   * The chosen graph with the answers' shared shift taken out of the output bias (see bias-correction.ts),
   * judged once more; kept only when it is within budget and moved the answers less.
   */
  const corrected = async (uint8: ReadonlySet<string>, judged: Awaited<ReturnType<typeof judge>>) => {
    if (biasName === undefined) return judged
    const shift = meanLogitShift(reference, judged.answers)
    if (shift.every((s) => Math.abs(s) < MIN_CORRECTION)) return judged
    const candidate = await judge(build(uint8, correctBias(tensors, biasName, shift)))
    return candidate.passes && candidate.change.meanKl < judged.change.meanKl ? candidate : judged
  }

  const candidates = tensors.filter((t) => isQuantizable(t) && t.data.length >= minElements)
  const result = (uint8: ReadonlySet<string>, judged: { graph: SerializedGraph; change: OutputChange }) => ({
    graph: judged.graph,
    change: judged.change,
    uint8Tensors: uint8.size,
    // The float32 fallback stores nothing in float16.
    float16Tensors: judged.graph === float32 ? 0 : tensors.filter(isQuantizable).length - uint8.size,
    choice: {
      uint8: candidates.filter((t) => uint8.has(t.name)).map(chosen),
      float16: candidates.filter((t) => !uint8.has(t.name)).map(chosen),
    },
  })

  for (const uint8 of carriedChoices(candidates, options.previous)) {
    const judged = await judge(build(uint8))
    if (judged.passes) {
      const final = await corrected(uint8, judged)
      return { ...result(uint8, final), evaluations, reusedPrevious: true }
    }
  }

  const baseline = await judge(build(new Set()))
  if (!baseline.passes) {
    const exact = { graph: float32, change: outputChange(reference, reference) }
    return { ...result(new Set(), exact), float16Change: baseline.change, evaluations, reusedPrevious: false }
  }
  const float16Probe = await options.probe(baseline.graph)
  const harm = new Map<string, number>()
  for (const t of candidates) {
    harm.set(t.name, meanKl(float16Probe, await options.probe(build(new Set([t.name])))))
  }
  const ranked = candidates.map((t) => t.name).sort((a, b) => harm.get(a)! - harm.get(b)!)

  let best = { count: 0, ...baseline }
  let low = 1
  let high = ranked.length
  // The answers move (roughly monotonically) further as more tensors go uint8; search the largest passing count.
  while (low <= high) {
    const count = Math.floor((low + high) / 2)
    const candidate = { count, ...(await judge(build(new Set(ranked.slice(0, count))))) }
    if (candidate.passes) {
      best = candidate
      low = count + 1
    } else high = count - 1
  }
  const uint8 = new Set(ranked.slice(0, best.count))
  return {
    ...result(uint8, await corrected(uint8, best)),
    float16Change: baseline.change,
    evaluations,
    reusedPrevious: false,
  }
}

/** A centred logit shift smaller than this everywhere is left alone: correcting it would cost a judgement for nothing. */
const MIN_CORRECTION = 1e-3

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
