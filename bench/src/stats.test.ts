import { describe, expect, it } from 'vitest'
import { quantile, summarize } from './stats.ts'

describe('summarize', () => {
  it('reports the median and the 95th percentile of the samples', () => {
    const s = summarize([5, 1, 4, 2, 3])
    expect(s).toMatchObject({ runs: 5, median: 3, min: 1, max: 5 })
    expect(s.p95).toBeCloseTo(4.8)
  })

  it('refuses to summarize nothing', () => {
    expect(() => summarize([])).toThrow(RangeError)
  })
})

describe('quantile', () => {
  it('interpolates between ranks', () => {
    expect(quantile([10, 20], 0.5)).toBe(15)
    expect(quantile([10, 20, 30, 40], 0.25)).toBeCloseTo(17.5)
  })
})
