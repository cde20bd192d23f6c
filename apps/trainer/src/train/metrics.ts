export interface ClassificationMetrics {
  accuracy: number
  logLoss: number
  count: number
}

/** Accuracy and mean cross-entropy (probabilities clipped at 1e-7 so one confident miss can't give ∞). */
export function scoreProbabilities(
  probabilities: readonly Float32Array[],
  truth: readonly number[],
): ClassificationMetrics {
  let correct = 0
  let loss = 0
  probabilities.forEach((p, i) => {
    const label = truth[i]!
    const predicted = p.indexOf(Math.max(...p))
    if (predicted === label) correct++
    loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p[label] ?? 0)))
  })
  const count = truth.length
  return { accuracy: count ? correct / count : 0, logLoss: count ? loss / count : 0, count }
}
