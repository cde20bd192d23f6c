import { MODEL_CARD_EXAMPLE, type ModelCard } from '@whisker/api-contract'
import { describe, expect, it } from 'vitest'
import type { Classification, Explanation } from './api.ts'
import {
  describeClassification,
  describeExplanation,
  describeModelCard,
  describeUpload,
  formatBytes,
  formatClock,
  formatDate,
  formatFrameRate,
  formatLabel,
  formatLatency,
  formatPercent,
  shortVersion,
  summarizeBatch,
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

describe('formatFrameRate', () => {
  it('says frames a second, with one decimal below 10', () => {
    expect(formatFrameRate(4.46)).toBe('4.5 frames a second')
    expect(formatFrameRate(12.4)).toBe('12 frames a second')
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
    expect(view.timing).toBe('88 ms round trip')
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

  it('says when the answer came from this device', () => {
    expect(describeClassification(answer, 120, 'device').timing).toBe('120 ms on this device')
  })

  it('says when the round trip carried several photos', () => {
    expect(describeClassification(answer, 210, 'server', 3).timing).toBe('210 ms round trip for 3 photos')
  })

  it('does not reorder the predictions it was given', () => {
    describeClassification(answer, 10)
    expect(answer.predictions.map((p) => p.label)).toEqual(['cat', 'dog', 'red_fox'])
  })
})

describe('formatBytes', () => {
  it('counts bytes the way phones show data use, in SI units', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(870)).toBe('870 B')
    expect(formatBytes(4210)).toBe('4.2 kB')
    expect(formatBytes(48_400)).toBe('48 kB')
    expect(formatBytes(3_140_000)).toBe('3.1 MB')
    expect(formatBytes(12_600_000)).toBe('13 MB')
  })
})

describe('formatDate and formatClock', () => {
  it('shows the training date the same in every time zone', () => {
    expect(formatDate('2026-11-25T23:50:13.332Z')).toBe('25 Nov 2026')
    expect(formatDate('not a date')).toBeUndefined()
  })

  it('shows the time of a result as hours and minutes', () => {
    expect(formatClock(Date.UTC(2026, 10, 25, 14, 5, 59), 'UTC')).toBe('14:05')
  })
})

describe('describeUpload', () => {
  it('shows what a downscaled photo cost against the original', () => {
    const upload = {
      originalBytes: 3_140_000,
      sentBytes: 48_400,
      sent: { width: 512, height: 384 },
      reencoded: true,
    }
    expect(describeUpload(upload)).toBe('Sent 512 × 384, 48 kB (photo was 3.1 MB)')
  })

  it('shows a photo sent as it was, with or without a known size', () => {
    expect(
      describeUpload({
        originalBytes: 24_000,
        sentBytes: 24_000,
        sent: { width: 500, height: 374 },
        reencoded: false,
      }),
    ).toBe('Sent 500 × 374, 24 kB')
    expect(describeUpload({ originalBytes: 24_000, sentBytes: 24_000, reencoded: false })).toBe('Sent 24 kB')
  })

  it('says nothing when the photo was classified on this device', () => {
    expect(describeUpload({ originalBytes: 1, sentBytes: 1, reencoded: false }, 'device')).toBeUndefined()
  })
})

describe('describeModelCard', () => {
  const { estimate: _, ...measured }: ModelCard = structuredClone(MODEL_CARD_EXAMPLE)
  const card: ModelCard = { ...measured, metrics: { ...measured.metrics, valAccuracy: 0.974, valCount: 600 } }

  it('shows version, classes, validation accuracy, backbone and training date', () => {
    expect(describeModelCard(card)).toEqual([
      { term: 'Version', value: '293288714127…', title: '293288714127807f' },
      { term: 'Classes (2)', value: 'Cat and Dog' },
      { term: 'Validation accuracy', value: '97% of 600 validation photos' },
      { term: 'Built on', value: 'mobilenet_v2_0.35' },
      { term: 'Trained', value: '25 Nov 2026' },
    ])
  })

  it('shows the estimate, its interval and how it was made, in place of the validation accuracy', () => {
    const estimate = structuredClone(MODEL_CARD_EXAMPLE).estimate
    expect(describeModelCard({ ...card, estimate })[2]).toEqual({
      term: 'Expected accuracy on new photos',
      value: '98.6% (95 % interval 98.2%–99.0%), from 5-fold cross-validation on 3,000 photos',
    })
    expect(
      describeModelCard({ ...card, estimate: { ...estimate, method: 'holdout', count: 600 } })[2]?.value,
    ).toBe('98.6% (95 % interval 98.2%–99.0%), from 600 photos set aside before training')
  })

  it('says when the accuracy was not measured, and leaves out what the card does not have', () => {
    const unmeasured = { ...card, metrics: { ...card.metrics, valCount: 0 } }
    const seedCnn = { ...unmeasured, architecture: { kind: 'seed-cnn' as const, head: 'dense(softmax)' } }
    expect(describeModelCard({ ...seedCnn, labels: ['cat', 'dog', 'red_fox'], version: 'v3' })).toEqual([
      { term: 'Version', value: 'v3', title: 'v3' },
      { term: 'Classes (3)', value: 'Cat, Dog, and Red fox' },
      { term: 'Validation accuracy', value: 'Not measured' },
      { term: 'Trained', value: '25 Nov 2026' },
    ])
  })
})

describe('summarizeBatch', () => {
  it('uses the single sentence for one photo', () => {
    expect(summarizeBatch([{ ok: true, label: 'cat' }], 'Cat, 98% confident')).toBe('Cat, 98% confident')
  })

  it('lists the labels of several photos in order', () => {
    const items = [
      { ok: true, label: 'cat' },
      { ok: true, label: 'dog' },
      { ok: true, label: 'cat' },
    ] as const
    expect(summarizeBatch(items)).toBe('3 photos: Cat, Dog and Cat.')
  })

  it('counts the photos that failed', () => {
    expect(summarizeBatch([{ ok: true, label: 'dog' }, { ok: false }])).toBe(
      "2 photos: Dog. 1 couldn't be classified.",
    )
    expect(summarizeBatch([{ ok: false }, { ok: false }])).toBe("2 photos. 2 couldn't be classified.")
  })
})

describe('describeExplanation', () => {
  const explain: Explanation = {
    method: 'grad-cam',
    label: 'golden_retriever',
    png: 'data:image/png;base64,AAAA',
    region: { x: 128, y: 0, width: 384, height: 384 },
  }

  it('names the toggle, the caption and the picture in words', () => {
    expect(describeExplanation(explain, { width: 640, height: 384 })).toEqual({
      png: explain.png,
      button: 'Show where it looked',
      caption: 'Warmer colours: where it looked most to say “Golden retriever” (Grad-CAM).',
      alt: 'Heatmap of where the model looked to say Golden retriever',
      fit: 'cover',
    })
    expect(describeExplanation({ ...explain, method: 'cam' }).caption).toContain('(class activation map)')
  })

  it('fits the photo as the model saw it: its centred square, or the whole photo squeezed (stretch models)', () => {
    expect(describeExplanation(explain, { width: 640, height: 384 }).fit).toBe('cover')
    const whole = { ...explain, region: { x: 0, y: 0, width: 640, height: 384 } }
    expect(describeExplanation(whole, { width: 640, height: 384 }).fit).toBe('fill')
    expect(describeExplanation(whole).fit).toBe('cover') // size unknown: the common case
    const square = { ...explain, region: { x: 0, y: 0, width: 384, height: 384 } }
    expect(describeExplanation(square, { width: 384, height: 384 }).fit).toBe('cover')
  })
})
