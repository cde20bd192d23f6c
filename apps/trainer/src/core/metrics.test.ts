import { describe, expect, it } from 'vitest'
import {
  areaUnderCurve,
  confusionMatrix,
  evaluatePredictions,
  perClassScores,
  predictedClass,
  rocAuc,
  rocCurve,
  scoreProbabilities,
} from './metrics.ts'

const binary = (pDog: number[]) => pDog.map((p) => [1 - p, p])

describe('rocCurve and areaUnderCurve', () => {
  // The textbook example (scikit-learn's roc_curve docs): AUC 0.75.
  const scores = [0.1, 0.4, 0.35, 0.8]
  const positives = [false, false, true, true]

  it('walks the thresholds from the highest score down, from (0, 0) to (1, 1)', () => {
    expect(rocCurve(scores, positives)).toEqual([
      { threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 },
      { threshold: 0.8, fpr: 0, tpr: 0.5 },
      { threshold: 0.4, fpr: 0.5, tpr: 0.5 },
      { threshold: 0.35, fpr: 0.5, tpr: 1 },
      { threshold: 0.1, fpr: 1, tpr: 1 },
    ])
    expect(areaUnderCurve(rocCurve(scores, positives))).toBeCloseTo(0.75, 12)
  })

  it('moves diagonally through tied scores, so a tie counts as half right', () => {
    const curve = rocCurve([0.5, 0.5], [false, true])
    expect(curve).toEqual([
      { threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 },
      { threshold: 0.5, fpr: 1, tpr: 1 },
    ])
    expect(areaUnderCurve(curve)).toBe(0.5)
  })

  it('gives 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(areaUnderCurve(rocCurve([0.9, 0.8, 0.2, 0.1], [true, true, false, false]))).toBe(1)
    expect(areaUnderCurve(rocCurve([0.9, 0.8, 0.2, 0.1], [false, false, true, true]))).toBe(0)
  })

  it('equals the share of (positive, negative) pairs ranked right, ties counting half', () => {
    // Mann–Whitney U / (P · N), on scores rounded to tenths so there are many ties.
    let seed = 7
    const random = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(random() * 40)
      const s = Array.from({ length: n }, () => Math.round(random() * 10) / 10)
      const pos = Array.from({ length: n }, (_, i) => i === 0 || (i !== 1 && random() < 0.4))
      let pairs = 0
      let right = 0
      s.forEach((a, i) => {
        s.forEach((b, j) => {
          if (!pos[i] || pos[j]) return
          pairs++
          right += a > b ? 1 : a === b ? 0.5 : 0
        })
      })
      expect(areaUnderCurve(rocCurve(s, pos))).toBeCloseTo(right / pairs, 12)
    }
  })
})

describe('rocAuc', () => {
  it('scores P(labels[1]) of a binary model unless told otherwise', () => {
    const probs = binary([0.1, 0.4, 0.35, 0.8])
    expect(rocAuc(probs, [0, 0, 1, 1], ['cat', 'dog'])).toBeCloseTo(0.75, 12)
    // With P(cat) = 1 − P(dog) and cat as the positive class, the ranking is mirrored: the same AUC.
    expect(rocAuc(probs, [0, 0, 1, 1], ['cat', 'dog'], { positive: 0 })).toBeCloseTo(0.75, 12)
  })

  it('is the macro average of one-vs-rest AUCs for more classes', () => {
    // Class 0 ranks its photos (0.7, 0.4) above the others (0.3, 0.2): 1. Class 1's photo (0.4) beats
    // 0.2 and 0.3 but not 0.5: 2/3. Class 2's photo (0.5) beats 0.1, 0.3, 0.1: 1. Mean: 8/9.
    const probs = [
      [0.7, 0.2, 0.1],
      [0.3, 0.4, 0.3],
      [0.2, 0.3, 0.5],
      [0.4, 0.5, 0.1],
    ]
    expect(rocAuc(probs, [0, 1, 2, 0], ['a', 'b', 'c'])).toBeCloseTo(8 / 9, 12)
  })

  it('is null when the photos hold only one class, and leaves such classes out of the macro mean', () => {
    expect(rocAuc(binary([0.2, 0.9]), [1, 1], ['cat', 'dog'])).toBeNull()
    // Class c has no photos: the mean is over a (1: 0.6 and 0.4 above 0.2) and b (3/4: its photo's 0.5
    // beats 0.3 and ties with 0.5).
    const probs = [
      [0.6, 0.3, 0.1],
      [0.2, 0.5, 0.3],
      [0.4, 0.5, 0.1],
    ]
    expect(rocAuc(probs, [0, 1, 0], ['a', 'b', 'c'])).toBeCloseTo((1 + 0.75) / 2, 12)
  })
})

describe('confusionMatrix and perClassScores', () => {
  const probs = [
    [0.7, 0.2, 0.1],
    [0.3, 0.4, 0.3],
    [0.2, 0.3, 0.5],
    [0.4, 0.5, 0.1],
  ]
  const truth = [0, 1, 2, 0]

  it('counts matrix[true][predicted]', () => {
    expect(confusionMatrix(probs, truth, 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 1],
    ])
  })

  it('derives precision, recall and F1 per class', () => {
    const scores = perClassScores(confusionMatrix(probs, truth, 3), ['a', 'b', 'c'])
    expect(scores.map((s) => [s.label, s.support, s.predicted])).toEqual([
      ['a', 2, 1],
      ['b', 1, 2],
      ['c', 1, 1],
    ])
    // a: 1 of 1 predicted right, 1 of 2 found. b: 1 of 2 predicted right, 1 of 1 found.
    expect(scores[0]).toMatchObject({ precision: 1, recall: 0.5 })
    expect(scores[0]!.f1).toBeCloseTo(2 / 3, 12)
    expect(scores[1]).toMatchObject({ precision: 0.5, recall: 1 })
    expect(scores[1]!.f1).toBeCloseTo(2 / 3, 12)
    expect(scores[2]).toMatchObject({ precision: 1, recall: 1, f1: 1 })
  })

  it('gives 0, not NaN, for a class never predicted or never present', () => {
    const scores = perClassScores(
      [
        [2, 0],
        [0, 0],
      ],
      ['cat', 'dog'],
    )
    expect(scores[1]).toEqual({ label: 'dog', precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 })
  })

  it('takes the first of tied maxima as the prediction', () => {
    expect(predictedClass([0.5, 0.5])).toBe(0)
    expect(predictedClass(new Float32Array([0.2, 0.4, 0.4]))).toBe(1)
    expect(() => predictedClass([Number.NaN, 0.5])).toThrow(RangeError)
  })
})

describe('evaluatePredictions', () => {
  it('puts every metric of a 3-class example together', () => {
    const probs = [
      [0.7, 0.2, 0.1],
      [0.3, 0.4, 0.3],
      [0.2, 0.3, 0.5],
      [0.4, 0.5, 0.1],
    ]
    const e = evaluatePredictions(probs, [0, 1, 2, 0], ['a', 'b', 'c'])
    expect(e.count).toBe(4)
    expect(e.accuracy).toBe(3 / 4)
    expect(e.logLoss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.4) + Math.log(0.5) + Math.log(0.4)) / 4, 6)
    expect(e.rocAuc).toBeCloseTo(8 / 9, 6)
    expect(e.positive).toBeNull()
    expect(e.roc.map((r) => r.label)).toEqual(['a', 'b', 'c'])
    expect(e.macro.precision).toBeCloseTo((1 + 0.5 + 1) / 3, 12)
    expect(e.macro.recall).toBeCloseTo((0.5 + 1 + 1) / 3, 12)
    expect(e.macro.f1).toBeCloseTo((2 / 3 + 2 / 3 + 1) / 3, 12)
  })

  it('names the positive class of a binary model, labels[1] by default', () => {
    const probs = binary([0.1, 0.4, 0.35, 0.8])
    const byDefault = evaluatePredictions(probs, [0, 0, 1, 1], ['cat', 'dog'])
    expect(byDefault.positive).toBe('dog')
    expect(byDefault.roc).toHaveLength(1)
    expect(byDefault.rocAuc).toBeCloseTo(0.75, 6)
    expect(byDefault.confusion).toEqual([
      [2, 0],
      [1, 1],
    ])
    const cat = evaluatePredictions(probs, [0, 0, 1, 1], ['cat', 'dog'], { positive: 0 })
    expect(cat.positive).toBe('cat')
    // The cat curve's first step is the most cat-like photo (P(cat) 0.9), which is a cat.
    expect(cat.roc[0]!.points[1]).toMatchObject({ fpr: 0, tpr: 0.5 })
    expect(() => evaluatePredictions(probs, [0, 0, 1, 1], ['cat', 'dog'], { positive: 2 })).toThrow(
      RangeError,
    )
  })

  it('agrees with the trainer: the confusion diagonal over the count is the accuracy', () => {
    const probs = binary([0.5, 0.5, 0.51, 0.49, 0.9, 0.1])
    const e = evaluatePredictions(probs, [0, 1, 1, 0, 0, 1], ['cat', 'dog'])
    expect(e.accuracy).toBe((e.confusion[0]![0]! + e.confusion[1]![1]!) / e.count)
  })
})

describe('scoreProbabilities', () => {
  it('counts the arg-max as the prediction and averages the cross-entropy', () => {
    const probs = [new Float32Array([0.9, 0.1]), new Float32Array([0.4, 0.6]), new Float32Array([0.3, 0.7])]
    const { accuracy, logLoss, count } = scoreProbabilities(probs, [0, 0, 1])
    expect(count).toBe(3)
    expect(accuracy).toBeCloseTo(2 / 3)
    expect(logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.4) + Math.log(0.7)) / 3, 5)
  })

  it('keeps the loss finite for a confident mistake', () => {
    const { logLoss } = scoreProbabilities([new Float32Array([1, 0])], [1])
    expect(logLoss).toBeCloseTo(-Math.log(1e-7), 3)
  })
})
