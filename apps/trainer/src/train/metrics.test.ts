import { describe, expect, it } from 'vitest'
import { scoreProbabilities } from './metrics.ts'

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
