import { argmax } from '@whisker/model-core'
/**
 * Temperature scaling (Guo et al., 2017): one scalar T so that softmax(logits / T) minimises the
 * validation log loss. It never changes which class wins, only how sure the model says it is.
 * Works from probabilities: log p equals the logits up to a per-row constant, which softmax ignores.
 */
export function fitTemperature(probabilities: readonly Float32Array[], truth: readonly number[]): number {
  // With few photos, or none misclassified, the loss keeps falling as T → 0 and the "fit" would only make
  // the model claim certainty it has not earned: leave it uncalibrated instead.
  const errors = probabilities.filter((p, i) => argmax(p) !== truth[i]).length
  if (probabilities.length < MIN_PHOTOS || errors === 0) return 1
  const logits = probabilities.map((p) => Array.from(p, (v) => Math.log(Math.max(v, 1e-12))))
  const loss = (logT: number) => meanNll(logits, truth, Math.exp(logT))
  // Golden-section search on log T over [1/4, 10]: the loss is unimodal in T for a fixed model.
  let a = Math.log(MIN_T)
  let b = Math.log(MAX_T)
  const ratio = (Math.sqrt(5) - 1) / 2
  let c = b - ratio * (b - a)
  let d = a + ratio * (b - a)
  for (let i = 0; i < 60; i++) {
    if (loss(c) < loss(d)) b = d
    else a = c
    c = b - ratio * (b - a)
    d = a + ratio * (b - a)
  }
  return Math.exp((a + b) / 2)
}

const MIN_PHOTOS = 50
const MIN_T = 0.25
const MAX_T = 10

/** The probabilities a temperature turns these into (for reporting before/after). */
export function applyTemperature(probabilities: Float32Array, temperature: number): Float32Array {
  const logits = Array.from(probabilities, (v) => Math.log(Math.max(v, 1e-12)) / temperature)
  const max = Math.max(...logits)
  const exps = logits.map((l) => Math.exp(l - max))
  const sum = exps.reduce((s, e) => s + e, 0)
  return Float32Array.from(exps, (e) => e / sum)
}

function meanNll(logits: readonly number[][], truth: readonly number[], temperature: number): number {
  let total = 0
  logits.forEach((row, i) => {
    const scaled = row.map((l) => l / temperature)
    const max = Math.max(...scaled)
    const logSum = max + Math.log(scaled.reduce((s, l) => s + Math.exp(l - max), 0))
    total += logSum - scaled[truth[i]!]!
  })
  return total / logits.length
}
