/**
 * Scoring of a model's answers on labelled photos, for figures the suites compute themselves (a sealed split
 * scored through the float32 graph, a re-export scored on the same photos). Written here rather than imported
 * from the trainer because bench reads the trainer's outputs, not its internals.
 */

import { argmax } from '@whisker/model-core'

/** Accuracy and mean log loss of class probabilities against true class indices. */
export interface Score {
  count: number
  correct: number
  accuracy: number
  logLoss: number
  /** Wilson score 95 % interval of the accuracy. */
  accuracyInterval: [number, number]
}

/** Wilson score interval: unlike the normal approximation it stays inside [0, 1] near 100 %. */
export function wilsonInterval(correct: number, count: number, z = 1.96): [number, number] {
  if (count <= 0) throw new RangeError('wilsonInterval needs at least one photo')
  const p = correct / count
  const z2 = z * z
  const centre = (p + z2 / (2 * count)) / (1 + z2 / count)
  const half = (z * Math.sqrt((p * (1 - p)) / count + z2 / (4 * count * count))) / (1 + z2 / count)
  return [Math.max(0, centre - half), Math.min(1, centre + half)]
}

export function scoreAnswers(probabilities: readonly ArrayLike<number>[], truths: readonly number[]): Score {
  if (probabilities.length !== truths.length || truths.length === 0) {
    throw new RangeError('scoreAnswers needs one answer per photo and at least one photo')
  }
  let correct = 0
  let loss = 0
  probabilities.forEach((p, i) => {
    const truth = truths[i]!
    if (argmax(p) === truth) correct++
    loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p[truth]!)))
  })
  return {
    count: truths.length,
    correct,
    accuracy: correct / truths.length,
    logLoss: loss / truths.length,
    accuracyInterval: wilsonInterval(correct, truths.length),
  }
}

/** Share of photos whose top class is the same in both answer sets. */
export function topOneAgreement(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError('agreement needs two equal, non-empty sets')
  return a.filter((p, i) => argmax(p) === argmax(b[i]!)).length / a.length
}
