import { describe, expect, it } from 'vitest'
import type { Classification } from './api.ts'
import {
  describeClassification,
  describeModel,
  formatLabel,
  formatLatency,
  formatPercent,
  shortVersion,
} from './format.ts'

describe('formatLabel', () => {
  it('capitalises the first letter of a label', () => {
    expect(formatLabel('cat')).toBe('Cat')
    expect(formatLabel('dog')).toBe('Dog')
  })

  it('turns underscores, hyphens and extra spaces into single spaces', () => {
    expect(formatLabel('golden_retriever')).toBe('Golden retriever')
    expect(formatLabel('  hot--dog ')).toBe('Hot dog')
  })

  it('leaves the rest of the label as the model spells it', () => {
    expect(formatLabel('maine_coon_UK')).toBe('Maine coon UK')
  })
})

describe('formatPercent', () => {
  it('shows a probability as a whole percentage', () => {
    expect(formatPercent(0.98)).toBe('98%')
    expect(formatPercent(0.504)).toBe('50%')
    expect(formatPercent(0.505)).toBe('51%')
  })

  it('shows exactly 0 and 1 as 0% and 100%', () => {
    expect(formatPercent(0)).toBe('0%')
    expect(formatPercent(1)).toBe('100%')
  })

  it('never rounds a possible class down to 0% or an uncertain one up to 100%', () => {
    expect(formatPercent(0.001)).toBe('<1%')
    expect(formatPercent(0.9991)).toBe('>99%')
  })

  it('clamps values outside 0..1', () => {
    expect(formatPercent(1.2)).toBe('100%')
    expect(formatPercent(-0.1)).toBe('0%')
  })
})

describe('formatLatency', () => {
  it('shows whole milliseconds with a thousands separator', () => {
    expect(formatLatency(123.4)).toBe('123 ms')
    expect(formatLatency(1234.5)).toBe('1,235 ms')
  })

  it('shows sub-millisecond times as <1 ms rather than 0 ms', () => {
    expect(formatLatency(0.2)).toBe('<1 ms')
  })
})

describe('shortVersion', () => {
  it('cuts a long hash to 12 characters and marks the cut', () => {
    expect(shortVersion('0123456789abcdef0123')).toBe('0123456789ab…')
  })

  it('keeps a short version whole', () => {
    expect(shortVersion('v1.2.0')).toBe('v1.2.0')
    expect(shortVersion('0123456789ab')).toBe('0123456789ab')
  })
})

describe('describeClassification', () => {
  const answer: Classification = {
    label: 'dog',
    confidence: 0.7,
    predictions: [
      { label: 'cat', score: 0.1 },
      { label: 'dog', score: 0.7 },
      { label: 'red_fox', score: 0.2 },
    ],
    model: { version: 'f00dfeedbeefcafe' },
  }

  it('puts the answer in words with its confidence', () => {
    const view = describeClassification(answer, 87.6)
    expect(view.label).toBe('Dog')
    expect(view.confidence).toBe('70%')
    expect(view.summary).toBe('Dog, 70% confident')
    expect(view.latency).toBe('88 ms')
    expect(view.version).toBe('f00dfeedbeef…')
    expect(view.versionFull).toBe('f00dfeedbeefcafe')
  })

  it('has one bar per class, highest score first, with the answer marked', () => {
    const bars = describeClassification(answer, 10).bars
    expect(bars).toEqual([
      { label: 'Dog', percent: '70%', fraction: 0.7, isAnswer: true },
      { label: 'Red fox', percent: '20%', fraction: 0.2, isAnswer: false },
      { label: 'Cat', percent: '10%', fraction: 0.1, isAnswer: false },
    ])
  })

  it('does not reorder the predictions it was given', () => {
    describeClassification(answer, 10)
    expect(answer.predictions.map((p) => p.label)).toEqual(['cat', 'dog', 'red_fox'])
  })
})

describe('describeModel', () => {
  it('lists the labels, the short version and the validation accuracy', () => {
    expect(
      describeModel({ labels: ['cat', 'dog'], version: 'abcdef0123456789', metrics: { valAccuracy: 0.974 } }),
    ).toBe('Knows Cat and Dog · model abcdef012345… · 97% accurate on validation photos')
  })

  it('leaves out the accuracy when the card has none', () => {
    expect(describeModel({ labels: ['cat', 'dog', 'red_fox'], version: 'v3' })).toBe(
      'Knows Cat, Dog, and Red fox · model v3',
    )
  })
})
