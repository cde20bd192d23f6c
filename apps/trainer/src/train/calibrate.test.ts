import { argmax } from '@whisker/model-core'
import { describe, expect, it } from 'vitest'
import { scoreProbabilities } from '../core/metrics.ts'
import { applyTemperature, fitTemperature } from './calibrate.ts'

/** A model that is right 80 % of the time but always says 99 %: the classic over-confident head. */
function overconfident(): { probs: Float32Array[]; truth: number[] } {
  const probs: Float32Array[] = []
  const truth: number[] = []
  for (let i = 0; i < 100; i++) {
    const label = i % 2
    const predicted = i % 10 < 8 ? label : 1 - label
    probs.push(predicted === 0 ? new Float32Array([0.99, 0.01]) : new Float32Array([0.01, 0.99]))
    truth.push(label)
  }
  return { probs, truth }
}

describe('fitTemperature', () => {
  it('softens an over-confident model (T > 1) and lowers its log loss without changing any answer', () => {
    const { probs, truth } = overconfident()
    const t = fitTemperature(probs, truth)
    expect(t).toBeGreaterThan(1)
    const calibrated = probs.map((p) => applyTemperature(p, t))
    const before = scoreProbabilities(probs, truth)
    const after = scoreProbabilities(calibrated, truth)
    expect(after.accuracy).toBe(before.accuracy)
    expect(before.logLoss).toBeCloseTo(0.929, 2)
    // The best any confidence can do when right 80 % of the time: the entropy of (0.8, 0.2).
    expect(after.logLoss).toBeCloseTo(-(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2)), 3)
    // Right 80 % of the time: calibrated confidence should be close to 0.8.
    expect(calibrated[0]![0]).toBeCloseTo(0.8, 1)
  })

  it('leaves a model uncalibrated (T = 1) when validation is too small or has no mistake to learn from', () => {
    const { probs, truth } = overconfident()
    expect(fitTemperature(probs.slice(0, 20), truth.slice(0, 20))).toBe(1)
    const allRight = probs.filter((p, i) => argmax(p) === truth[i])
    const rightTruth = truth.filter((t, i) => argmax(probs[i]!) === t)
    expect(fitTemperature(allRight, rightTruth)).toBe(1)
  })

  it('sharpens an under-confident model (T < 1)', () => {
    // Right 90 % of the time, but only ever 60 % sure.
    const probs = Array.from(
      { length: 100 },
      (_, i) => new Float32Array(i % 10 === 0 ? [0.4, 0.6] : [0.6, 0.4]),
    )
    expect(fitTemperature(probs, Array(100).fill(0))).toBeLessThan(1)
  })
})
