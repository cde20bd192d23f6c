import { describe, expect, it } from 'vitest'
import { DEFAULT_OUTPUT_BUDGET, outputChange, withinBudget } from './output-change.ts'

const rows = (...ps: number[]) => ps.map((p) => new Float32Array([p, 1 - p]))

describe('outputChange', () => {
  it('is zero everywhere for identical answers', () => {
    const same = rows(0.9, 0.2, 0.6)
    expect(outputChange(same, same)).toEqual({
      count: 3,
      agreement: 1,
      decisiveChanges: 0,
      meanKl: 0,
      maxProbabilityChange: 0,
      meanLogOddsShift: 0,
    })
  })

  it('sees a shift towards one class that changes no answer', () => {
    const change = outputChange(rows(0.9, 0.2, 0.7), rows(0.8, 0.1, 0.6))
    expect(change.agreement).toBe(1)
    expect(change.meanLogOddsShift).toBeLessThan(-0.5)
    expect(change.maxProbabilityChange).toBeCloseTo(0.1, 6)
    expect(withinBudget(change, DEFAULT_OUTPUT_BUDGET)).toBe(false)
  })

  it('counts answers that change class, and refuses one decided answer in 300 changed', () => {
    const change = outputChange(rows(0.51, 0.9, 0.1, 0.2), rows(0.49, 0.9, 0.1, 0.2))
    expect(change.agreement).toBe(0.75)
    const decided = [0.6, ...Array.from({ length: 299 }, (_, i) => (i % 2 ? 0.9 : 0.1))]
    const flipped = outputChange(rows(...decided), rows(0.4, ...decided.slice(1)))
    expect([flipped.decisiveChanges, flipped.meanKl < 1e-3]).toEqual([1, true])
    expect(withinBudget(flipped, DEFAULT_OUTPUT_BUDGET)).toBe(false)
  })

  it('lets an answer the reference left undecided change class: a coin flip either way', () => {
    const undecided = [0.52, ...Array.from({ length: 299 }, (_, i) => (i % 2 ? 0.9 : 0.1))]
    const change = outputChange(rows(...undecided), rows(0.48, ...undecided.slice(1)))
    expect([change.agreement < 1, change.decisiveChanges]).toEqual([true, 0])
    expect(withinBudget(change, DEFAULT_OUTPUT_BUDGET)).toBe(true)
  })

  it('accepts float16-sized noise', () => {
    const reference = rows(...Array.from({ length: 500 }, (_, i) => (i % 50) / 50 + 0.01))
    const noisy = reference.map((p, i) => {
      const q = p[0]! + (i % 2 ? 1e-4 : -1e-4)
      return new Float32Array([q, 1 - q])
    })
    expect(withinBudget(outputChange(reference, noisy), DEFAULT_OUTPUT_BUDGET)).toBe(true)
  })

  it('refuses to compare different inputs', () => {
    expect(() => outputChange(rows(0.5), rows(0.5, 0.5))).toThrow(RangeError)
  })
})
