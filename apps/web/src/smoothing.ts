/**
 * The live camera's reading, steadied: each class's score follows the newest frame's with an exponential
 * moving average over time, so the label and its confidence glide instead of flickering from one frame to
 * the next, and settle on a new answer within about a second whatever the frame rate.
 */
import type { Classification } from './api.ts'

/** Time constant: after this long a new scene carries 63 % of the weight, after 3× it carries 95 %. */
export const SMOOTHING_MS = 300

/**
 * `next` blended into `previous` by `1 − e^(−elapsedMs / timeConstantMs)`; the label and confidence are
 * the top smoothed score. No previous reading (or another set of classes): `next` as it is.
 */
export function smoothClassification(
  previous: Classification | undefined,
  next: Classification,
  elapsedMs: number,
  timeConstantMs = SMOOTHING_MS,
): Classification {
  const before = new Map(previous?.predictions.map((p) => [p.label, p.score]))
  if (
    previous === undefined ||
    previous.predictions.length !== next.predictions.length ||
    next.predictions.some((p) => !before.has(p.label))
  ) {
    return next
  }
  const weight = 1 - Math.exp(-Math.max(0, elapsedMs) / timeConstantMs)
  const predictions = next.predictions
    .map((p) => {
      const old = before.get(p.label) ?? p.score
      return { label: p.label, score: old + weight * (p.score - old) }
    })
    .sort((a, b) => b.score - a.score)
  const [top] = predictions
  if (top === undefined) return next
  return { ...next, label: top.label, confidence: top.score, predictions }
}
