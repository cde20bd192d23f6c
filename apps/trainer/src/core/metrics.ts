import { argmax } from '@whisker/model-core'

/**
 * Metrics of a classifier's probabilities. Pure functions, no tfjs: training (each epoch's validation
 * score), `whisker evaluate`, the HTML report and anything else that scores predictions share them, so
 * evaluation and training agree on accuracy and log loss.
 */

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
    if (argmax(p) === label) correct++
    loss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p[label] ?? 0)))
  })
  const count = truth.length
  return { accuracy: count ? correct / count : 0, logLoss: count ? loss / count : 0, count }
}

/** Class probabilities for one photo, in label order. */
export type Probabilities = ArrayLike<number>

/** One point of a ROC curve: predicting positive when score ≥ threshold gives these rates. */
export interface RocPoint {
  /** The first point (0, 0) has threshold +∞ (nothing predicted positive); JSON writes it as null. */
  threshold: number
  fpr: number
  tpr: number
}

export interface ClassScores {
  label: string
  /** tp / predicted; 0 when the class was never predicted. */
  precision: number
  /** tp / support; 0 when the class has no photos. */
  recall: number
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number
  /** Photos whose true class this is. */
  support: number
  /** Photos predicted as this class. */
  predicted: number
}

export interface RocSummary {
  /** The class scored as positive (one-vs-rest). */
  label: string
  /** null when the photos hold only positives or only negatives (the AUC is undefined). */
  auc: number | null
  points: RocPoint[]
}

export interface Evaluation {
  labels: string[]
  count: number
  accuracy: number
  /** Mean cross-entropy, probabilities clipped at 1e-7 (as in training). */
  logLoss: number
  /**
   * Binary: the AUC of P(positive). More classes: the macro average of the one-vs-rest AUCs that are
   * defined. null when none is.
   */
  rocAuc: number | null
  /** Binary only: the positive class of `rocAuc` (labels[1] unless told). */
  positive: string | null
  perClass: ClassScores[]
  /** Unweighted means over classes. */
  macro: { precision: number; recall: number; f1: number }
  /** matrix[true][predicted] counts, rows and columns in label order. */
  confusion: number[][]
  /** Binary: one curve, for the positive class. More classes: one per class, one-vs-rest. */
  roc: RocSummary[]
}

/**
 * The predicted class: model-core's argmax (the rule scoreProbabilities counts with), but a RangeError
 * where a row has none (NaN, or empty), so a confusion matrix or a list of mistakes never files it anywhere.
 */
export function predictedClass(p: Probabilities): number {
  const index = argmax(p)
  if (index < 0) throw new RangeError(`probabilities without a maximum: [${Array.from(p).join(', ')}]`)
  return index
}

/**
 * The ROC curve of scores against positives: one point per distinct score (tied scores move the curve
 * diagonally, counting a tie as half right), from (0, 0) to (1, 1). With no positives the TPR stays 0,
 * with no negatives the FPR does.
 */
export function rocCurve(scores: readonly number[], positives: readonly boolean[]): RocPoint[] {
  if (scores.length !== positives.length) throw new RangeError('scores and positives differ in length')
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  const totalPositive = positives.filter(Boolean).length
  const totalNegative = positives.length - totalPositive
  const rate = (n: number, total: number) => (total ? n / total : 0)
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 }]
  let tp = 0
  let fp = 0
  for (let k = 0; k < order.length; ) {
    const threshold = scores[order[k]!]!
    while (k < order.length && scores[order[k]!] === threshold) {
      if (positives[order[k]!]) tp++
      else fp++
      k++
    }
    points.push({ threshold, fpr: rate(fp, totalNegative), tpr: rate(tp, totalPositive) })
  }
  return points
}

/** Area under a curve of (fpr, tpr) points, by the trapezoid rule. */
export function areaUnderCurve(points: readonly RocPoint[]): number {
  let area = 0
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2
  }
  return area
}

/** One-vs-rest ROC of one class: its probability as the score, its photos as the positives. */
export function rocOfClass(
  probabilities: readonly Probabilities[],
  truth: readonly number[],
  labels: readonly string[],
  positive: number,
): RocSummary {
  const positives = truth.map((t) => t === positive)
  const points = rocCurve(
    probabilities.map((p) => p[positive] ?? 0),
    positives,
  )
  const defined = positives.includes(true) && positives.includes(false)
  return { label: labels[positive]!, auc: defined ? areaUnderCurve(points) : null, points }
}

/**
 * ROC AUC. Binary: of P(labels[positive]) (default 1). More classes: the macro average of the
 * one-vs-rest AUCs that are defined (a class with no photos, or the only class present, is left out).
 */
export function rocAuc(
  probabilities: readonly Probabilities[],
  truth: readonly number[],
  labels: readonly string[],
  options: { positive?: number } = {},
): number | null {
  return summarizeRoc(rocCurves(probabilities, truth, labels, options))
}

function rocCurves(
  probabilities: readonly Probabilities[],
  truth: readonly number[],
  labels: readonly string[],
  options: { positive?: number },
): RocSummary[] {
  if (labels.length === 2) return [rocOfClass(probabilities, truth, labels, options.positive ?? 1)]
  return labels.map((_, k) => rocOfClass(probabilities, truth, labels, k))
}

function summarizeRoc(curves: readonly RocSummary[]): number | null {
  const defined = curves.map((c) => c.auc).filter((auc): auc is number => auc !== null)
  return defined.length ? defined.reduce((s, a) => s + a, 0) / defined.length : null
}

/** matrix[true][predicted], with the arg-max as the prediction. */
export function confusionMatrix(
  probabilities: readonly Probabilities[],
  truth: readonly number[],
  classes: number,
): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  probabilities.forEach((p, i) => {
    const row = matrix[truth[i]!]
    if (!row) throw new RangeError(`truth[${i}] = ${truth[i]} is not a class index below ${classes}`)
    row[predictedClass(p)]!++
  })
  return matrix
}

/** Precision, recall and F1 of every class, from a confusion matrix. */
export function perClassScores(confusion: readonly number[][], labels: readonly string[]): ClassScores[] {
  return labels.map((label, k) => {
    const tp = confusion[k]?.[k] ?? 0
    const support = (confusion[k] ?? []).reduce((s, n) => s + n, 0)
    const predicted = confusion.reduce((s, row) => s + (row[k] ?? 0), 0)
    const precision = predicted ? tp / predicted : 0
    const recall = support ? tp / support : 0
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
    return { label, precision, recall, f1, support, predicted }
  })
}

/** Every metric above for one set of predictions. */
export function evaluatePredictions(
  probabilities: readonly Probabilities[],
  truth: readonly number[],
  labels: readonly string[],
  options: { positive?: number } = {},
): Evaluation {
  if (probabilities.length !== truth.length) throw new RangeError('probabilities and truth differ in length')
  if (options.positive !== undefined && !(options.positive >= 0 && options.positive < labels.length))
    throw new RangeError(`positive class ${options.positive} is not an index into ${labels.length} labels`)
  // One float32 copy for every metric, so the confusion matrix's diagonal is exactly the accuracy.
  const rows = probabilities.map((p) => Float32Array.from(p))
  const { accuracy, logLoss, count } = scoreProbabilities(rows, truth)
  const confusion = confusionMatrix(rows, truth, labels.length)
  const perClass = perClassScores(confusion, labels)
  const mean = (key: 'precision' | 'recall' | 'f1') =>
    perClass.reduce((s, c) => s + c[key], 0) / Math.max(1, perClass.length)
  const roc = rocCurves(rows, truth, labels, options)
  return {
    labels: [...labels],
    count,
    accuracy,
    logLoss,
    rocAuc: summarizeRoc(roc),
    positive: labels.length === 2 ? roc[0]!.label : null,
    perClass,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    confusion,
    roc,
  }
}
