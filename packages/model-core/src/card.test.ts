import { describe, expect, it } from 'vitest'
import { InvalidModelCardError, type ModelCard, parseModelCard } from './card.ts'
import { validCard } from './test-support/card.ts'

/** The error parseModelCard throws for `json`; fails the test when it accepts it. */
function rejection(json: unknown): InvalidModelCardError {
  try {
    parseModelCard(json)
  } catch (error) {
    if (error instanceof InvalidModelCardError) return error
    throw error
  }
  throw new Error('the card was accepted')
}

const withChange = (change: (card: Record<string, unknown> & ModelCard) => void): unknown => {
  const card = structuredClone(validCard()) as Record<string, unknown> & ModelCard
  change(card)
  return card
}

describe('parseModelCard', () => {
  it('accepts a valid card and returns it unchanged', () => {
    expect(parseModelCard(validCard())).toEqual(validCard())
  })

  it('accepts a seed-cnn card without a backbone, and a stretch resize', () => {
    const card = withChange((c) => {
      c.architecture = { kind: 'seed-cnn', head: 'conv×3 → dense(softmax)' }
      c.input.resize = { mode: 'stretch', size: 64, filter: 'bilinear' }
      c.input.shape = [64, 64, 3]
    })
    expect(parseModelCard(card)).toEqual(card)
  })

  it('rejects an input shape that disagrees with the resize size', () => {
    const error = rejection(withChange((c) => (c.input.shape = [128, 128, 3])))
    expect(error.message).toMatch(/input.shape must be resize.size/)
  })

  it('drops fields it does not know', () => {
    expect(parseModelCard({ ...validCard(), notes: 'hand-written' })).toEqual(validCard())
  })

  it('rejects a card with one label, as INVALID_MODEL_CARD naming the field', () => {
    const error = rejection(withChange((c) => (c.labels = ['cat'])))
    expect(error.code).toBe('INVALID_MODEL_CARD')
    expect(error.name).toBe('InvalidModelCardError')
    expect(error.message).toMatch(/^The model card is invalid: /)
    expect(error.message).toContain('labels')
  })

  it.each([
    ['too short', '0123456789abcde'],
    ['uppercase', '0123456789ABCDEF'],
    ['not hex', '0123456789abcdeg'],
    ['a semver', '1.0.0'],
  ])('rejects a version that is %s: it must be a 16-hex content hash', (_, version) => {
    const error = rejection(withChange((c) => (c.version = version)))
    expect(error.message).toContain('version')
  })

  it.each(['metrics', 'labels', 'graph', 'input', 'quantization', 'createdAt'])(
    'rejects a card missing %s',
    (field) => {
      const error = rejection(withChange((c) => delete c[field]))
      expect(error.message).toContain(field)
    },
  )

  it.each([
    ['a future schemaVersion', (c: ModelCard) => Object.assign(c, { schemaVersion: 2 })],
    ['an RGBA input', (c: ModelCard) => Object.assign(c.input, { shape: [224, 224, 4] })],
    ['a resize below 8 pixels', (c: ModelCard) => Object.assign(c.input.resize, { size: 4 })],
    ['an unknown quantization', (c: ModelCard) => Object.assign(c, { quantization: 'int4' })],
    ['an accuracy above 1', (c: ModelCard) => Object.assign(c.metrics, { valAccuracy: 1.5 })],
    ['a date that is not ISO 8601', (c: ModelCard) => Object.assign(c, { createdAt: 'yesterday' })],
    ['an empty label', (c: ModelCard) => Object.assign(c, { labels: ['cat', ''] })],
  ])('rejects %s', (_, change) => {
    expect(() => parseModelCard(withChange(change))).toThrow(InvalidModelCardError)
  })

  it('rejects what is not a card at all', () => {
    for (const json of [null, 'card', 42, [], {}]) {
      expect(() => parseModelCard(json)).toThrow(InvalidModelCardError)
    }
  })
})
