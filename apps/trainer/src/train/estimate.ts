import type { Estimate } from '@whisker/model-core'
import { percent, percentDigits } from '../core/format.ts'
import { bootstrapMeanInterval, wilsonInterval } from './intervals.ts'

/** Per-photo cross-entropy, clipped as `scoreProbabilities` clips it, so both give the same mean. */
export function photoLosses(
  probabilities: readonly ArrayLike<number>[],
  truth: readonly number[],
): Float64Array {
  return Float64Array.from(
    truth,
    (label, i) => -Math.log(Math.min(1 - 1e-7, Math.max(1e-7, probabilities[i]![label] ?? 0))),
  )
}

/**
 * Accuracy and log loss with 95 % intervals (Wilson; percentile bootstrap of the per-photo losses), for
 * probabilities that no choice of the run was made on. `how` says, in one sentence, what made them so.
 */
export function estimateFrom(
  probabilities: readonly ArrayLike<number>[],
  truth: readonly number[],
  method: Estimate['method'],
  how: string,
  folds?: number,
): Estimate {
  let correct = 0
  probabilities.forEach((p, i) => {
    let best = 0
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c
    if (best === truth[i]) correct++
  })
  const losses = photoLosses(probabilities, truth)
  const count = truth.length
  const accuracy = wilsonInterval(correct, count)
  const logLoss = bootstrapMeanInterval(losses, count)
  return {
    method,
    ...(folds === undefined ? {} : { folds }),
    count,
    accuracy: correct / count,
    accuracyInterval: [accuracy.low, accuracy.high],
    logLoss: losses.reduce((s, l) => s + l, 0) / count,
    logLossInterval: [logLoss.low, logLoss.high],
    how,
  }
}

/** "98.4 % (97.9–98.8 %)": how people read an estimate. */
export function formatEstimate(estimate: Estimate): string {
  const [low, high] = estimate.accuracyInterval
  const [lossLow, lossHigh] = estimate.logLossInterval
  return (
    `${percent(estimate.accuracy, 1)} (95 % interval ${percentDigits(low, 1)}–${percent(high, 1)}), ` +
    `log loss ${estimate.logLoss.toFixed(3)} (${lossLow.toFixed(3)}–${lossHigh.toFixed(3)}) on ${estimate.count} photos`
  )
}
