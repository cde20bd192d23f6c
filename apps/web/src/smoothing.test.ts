import { describe, expect, it } from 'vitest'
import type { Classification } from './api.ts'
import { SMOOTHING_MS, smoothClassification } from './smoothing.ts'

const reading = (cat: number): Classification => ({
  label: cat >= 0.5 ? 'cat' : 'dog',
  confidence: Math.max(cat, 1 - cat),
  predictions: [
    { label: 'cat', score: cat },
    { label: 'dog', score: 1 - cat },
  ].sort((a, b) => b.score - a.score),
  model: { version: 'v1' },
})

const score = (c: Classification, label: string) => c.predictions.find((p) => p.label === label)?.score

describe('smoothClassification', () => {
  it('takes the first reading as it is', () => {
    expect(smoothClassification(undefined, reading(0.9), 50)).toEqual(reading(0.9))
  })

  it('moves each score 1 − e^(−t/τ) of the way to the new frame’s', () => {
    const next = smoothClassification(reading(0.9), reading(0.1), SMOOTHING_MS)
    expect(score(next, 'cat')).toBeCloseTo(0.9 - 0.8 * (1 - Math.exp(-1)), 10)
    expect(score(next, 'dog')).toBeCloseTo(0.1 + 0.8 * (1 - Math.exp(-1)), 10)
  })

  it('does not flip the label on one odd frame, and settles on a lasting change within a second', () => {
    const frame = 50 // 20 frames a second
    const once = smoothClassification(reading(0.95), reading(0.2), frame)
    expect(once.label).toBe('cat')
    let current = once
    for (let t = frame; t < 1000; t += frame) current = smoothClassification(current, reading(0.2), frame)
    expect(current.label).toBe('dog')
    expect(current.confidence).toBeGreaterThan(0.75) // 95 % of the way from 0.05 to 0.8
  })

  it('names the top smoothed class, highest first, with the newest model version', () => {
    const next = smoothClassification(reading(0.6), { ...reading(0.3), model: { version: 'v2' } }, 1000)
    expect(next.label).toBe(next.predictions[0]?.label)
    expect(next.confidence).toBe(next.predictions[0]?.score)
    expect(next.model.version).toBe('v2')
  })

  it('starts again when the classes change (another model)', () => {
    const other: Classification = {
      label: 'bird',
      confidence: 1,
      predictions: [{ label: 'bird', score: 1 }],
      model: { version: 'v3' },
    }
    expect(smoothClassification(reading(0.9), other, 50)).toEqual(other)
  })

  it('treats a clock that went backwards as no time passed', () => {
    expect(smoothClassification(reading(0.9), reading(0.1), -20)).toMatchObject({
      label: 'cat',
      confidence: 0.9,
    })
  })
})
