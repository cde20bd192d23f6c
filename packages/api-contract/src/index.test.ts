import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as contract from './index.ts'
import {
  CLASSIFICATION_EXAMPLE,
  ClassificationSchema,
  IMAGE_PROBLEMS,
  isImageProblemCode,
  MAX_IMAGES_PER_REQUEST,
  MODEL_CARD_EXAMPLE,
  ModelCardSchema,
  mebibytes,
  megapixels,
  PROBLEM_CODES,
  ProblemSchema,
} from './index.ts'

const answer = CLASSIFICATION_EXAMPLE

describe('@whisker/api-contract', () => {
  it('exports what its README documents, and nothing else', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const documented = [...readme.matchAll(/^(?:const|function) (\w+)/gm)].map((m) => m[1]!)
    const listed = [...readme.matchAll(/^const (\w+Schema(?:, \w+Schema)*)/gm)].flatMap((m) =>
      m[1]!.split(', '),
    )
    expect(Object.keys(contract).sort()).toEqual([...new Set([...documented, ...listed])].sort())
  })

  it('maps every image problem to a 4xx, each among the codes a problem may carry', () => {
    for (const [code, { status }] of Object.entries(IMAGE_PROBLEMS)) {
      expect(PROBLEM_CODES).toContain(code)
      expect(status).toBeGreaterThanOrEqual(400)
      expect(status).toBeLessThan(500)
      expect(isImageProblemCode(code)).toBe(true)
    }
    expect(isImageProblemCode('RATE_LIMITED')).toBe(false)
    expect(ProblemSchema.shape.code.options).toEqual([...PROBLEM_CODES])
  })

  it('accepts an answer the Worker sends and refuses one with a missing or out-of-range field', () => {
    expect(ClassificationSchema.parse(answer)).toEqual(answer)
    expect(ClassificationSchema.safeParse({ ...answer, confidence: 97 }).success).toBe(false)
    expect(ClassificationSchema.safeParse({ ...answer, predictions: [] }).success).toBe(false)
    const { cached: _, ...uncached } = answer
    expect(ClassificationSchema.safeParse(uncached).success).toBe(false)
  })

  it('accepts the card it gives as the document’s example, and refuses it without its labels', () => {
    expect(ModelCardSchema.parse(MODEL_CARD_EXAMPLE)).toEqual(MODEL_CARD_EXAMPLE)
    expect(ModelCardSchema.safeParse({ ...MODEL_CARD_EXAMPLE, labels: ['cat'] }).success).toBe(false)
  })

  it('allows only a base64 PNG data URL as the heatmap, so a page can show it as it is', () => {
    const explain = {
      method: 'grad-cam',
      label: 'cat',
      grid: [[0.5]],
      png: 'data:image/png;base64,iVBORw0KGgo=',
      region: { x: 0, y: 0, width: 10, height: 10 },
    }
    expect(ClassificationSchema.safeParse({ ...answer, explain }).success).toBe(true)
    for (const png of ['data:image/png;base64,<svg onload=x>', 'data:image/svg+xml;base64,PHN2Zz4=']) {
      expect(ClassificationSchema.safeParse({ ...answer, explain: { ...explain, png } }).success).toBe(false)
    }
  })

  it('writes sizes as the docs state them', () => {
    expect(mebibytes(10 * 1024 * 1024)).toBe('10 MiB')
    expect(megapixels(16_000_000)).toBe('16 MP')
    expect(MAX_IMAGES_PER_REQUEST).toBeGreaterThan(1)
  })
})
