import { describe, expect, it } from 'vitest'
import { scoreAnswers, topOneAgreement, wilsonInterval } from './scoring.ts'

describe('wilsonInterval', () => {
  it('matches the textbook value for 8 of 10', () => {
    const [low, high] = wilsonInterval(8, 10)
    expect(low).toBeCloseTo(0.4902, 3)
    expect(high).toBeCloseTo(0.9433, 3)
  })
  it('stays inside [0, 1] at 100 % and is not a point', () => {
    const [low, high] = wilsonInterval(50, 50)
    expect(high).toBe(1)
    expect(low).toBeGreaterThan(0.9)
    expect(low).toBeLessThan(1)
  })
  it('refuses an empty set', () => {
    expect(() => wilsonInterval(0, 0)).toThrow(RangeError)
  })
})

describe('scoreAnswers', () => {
  it('counts top-1 hits and averages the log loss of the true class', () => {
    const s = scoreAnswers(
      [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.6, 0.4],
      ],
      [0, 1, 1],
    )
    expect(s.correct).toBe(2)
    expect(s.accuracy).toBeCloseTo(2 / 3)
    expect(s.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3)
  })
  it('clamps a certain wrong answer instead of returning Infinity', () => {
    expect(Number.isFinite(scoreAnswers([[1, 0]], [1]).logLoss)).toBe(true)
  })
  it('refuses mismatched lengths', () => {
    expect(() => scoreAnswers([[1, 0]], [0, 1])).toThrow(RangeError)
  })
})

describe('topOneAgreement', () => {
  it('is the share of equal top classes', () => {
    expect(
      topOneAgreement(
        [
          [0.9, 0.1],
          [0.4, 0.6],
        ],
        [
          [0.6, 0.4],
          [0.7, 0.3],
        ],
      ),
    ).toBe(0.5)
  })
})
