import { argmax } from '../argmax.ts'

/**
 * How far one graph's answers moved from another's on the same inputs. Quantization is judged by this and
 * not by accuracy: on a few hundred photos accuracy cannot see a shift of every answer towards one class
 * (which is what per-tensor uint8 did to MobileNet v1: −1.6 points on new photos while validation
 * accuracy moved 0.16), but the mean log-odds shift and the KL divergence see it on any photos, labelled
 * or not.
 */
export interface OutputChange {
  count: number
  /** Share of inputs whose top class is the same. */
  agreement: number
  /**
   * Inputs whose top class changed although the reference had decided it: its top two probabilities more
   * than UNDECIDED_MARGIN apart. An answer at 0.52 is a coin flip whichever way it goes, and one such photo
   * among a few hundred judged must not decide a whole export (it sent a fast-preset run to float32).
   */
  decisiveChanges: number
  /** Mean KL(reference ‖ candidate), nats. */
  meanKl: number
  /** Largest change of any class probability on any input. */
  maxProbabilityChange: number
  /**
   * Mean change of log(p₀ / (1 − p₀)), the first class against the rest, each clipped to ±8 (p between
   * 0.03 % and 99.97 %, where a change still moves a probability): a bias towards one class shows here.
   */
  meanLogOddsShift: number
}

/** The largest change a quantized export may make, each measure on its own. */
export interface OutputBudget {
  maxMeanKl: number
  maxAbsLogOddsShift: number
  minAgreement: number
}

/**
 * Whisker's budget. A mean KL of 0.001 nats is 2–3 % of a good model's log loss (0.04), so log loss moves
 * well within the 10 % the exporter promises; at most 1 answer in 400 may change class (0.25 points), the
 * accuracy promise with a little room for noise
 * (answers float32 left undecided do not count: see `decisiveChanges`). The mean log-odds may move 0.05: the judging photos are
 * training photos, fitted by the head and seldom near the boundary, and new photos shift further (a graph
 * judged at −0.100 moved new photos by −0.150 and changed 4 of 624 answers at the earlier limit of 0.1).
 * What shift remains is then taken out of the output bias (bias-correction.ts).
 */
export const DEFAULT_OUTPUT_BUDGET: OutputBudget = {
  maxMeanKl: 1e-3,
  maxAbsLogOddsShift: 0.05,
  minAgreement: 0.9975,
}

/** Top two probabilities closer than this: the reference had not decided, so a change of class costs nothing expected. */
const UNDECIDED_MARGIN = 0.1

/** p at log-odds −8: beyond ±8 the model is sure either way and its log-odds may wander harmlessly. */
const LOG_ODDS_CLIP = 1 / (1 + Math.exp(8))

/** A probability held within log-odds ±8, where a change still moves an answer. */
export const clipProbability = (p: number): number => Math.min(1 - LOG_ODDS_CLIP, Math.max(LOG_ODDS_CLIP, p))

export function outputChange(
  reference: readonly ArrayLike<number>[],
  candidate: readonly ArrayLike<number>[],
): OutputChange {
  assertSameInputs(reference, candidate)
  let agree = 0
  let decisive = 0
  let kl = 0
  let maxChange = 0
  let shift = 0
  reference.forEach((p, i) => {
    const q = candidate[i]!
    if (argmax(p) === argmax(q)) agree++
    else if (margin(p) > UNDECIDED_MARGIN) decisive++
    for (let c = 0; c < p.length; c++) {
      if (p[c]! > 0) kl += p[c]! * Math.log(p[c]! / Math.max(q[c]!, 1e-12))
      maxChange = Math.max(maxChange, Math.abs(p[c]! - q[c]!))
    }
    const logOdds = (r: ArrayLike<number>) =>
      Math.log(clipProbability(r[0]!)) - Math.log(clipProbability(1 - r[0]!))
    shift += logOdds(q) - logOdds(p)
  })
  const n = reference.length
  return {
    count: n,
    agreement: agree / n,
    decisiveChanges: decisive,
    meanKl: kl / n,
    maxProbabilityChange: maxChange,
    meanLogOddsShift: shift / n,
  }
}

/** Two graphs' answers can only be compared row by row, on the same (non-empty) inputs. */
export function assertSameInputs(reference: readonly unknown[], candidate: readonly unknown[]): void {
  if (reference.length !== candidate.length || reference.length === 0) {
    throw new RangeError(`compare the same inputs: ${reference.length} against ${candidate.length} rows`)
  }
}

export function withinBudget(change: OutputChange, budget: OutputBudget): boolean {
  return (
    change.meanKl <= budget.maxMeanKl &&
    Math.abs(change.meanLogOddsShift) <= budget.maxAbsLogOddsShift &&
    1 - change.decisiveChanges / change.count >= budget.minAgreement
  )
}

/** The top probability less the runner-up's. */
function margin(p: ArrayLike<number>): number {
  let first = Number.NEGATIVE_INFINITY
  let second = Number.NEGATIVE_INFINITY
  for (let c = 0; c < p.length; c++) {
    const v = p[c]!
    if (v > first) {
      second = first
      first = v
    } else if (v > second) second = v
  }
  return p.length < 2 ? 1 : first - second
}
