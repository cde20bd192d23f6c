import { parseModelCard } from '@whisker/model-core'
import { describe, expect, inject, it } from 'vitest'
import { call } from '../test/client.ts'

describe('GET /v1/model', () => {
  it('returns the bundled model card, with the estimate of what new photos get and how it was made', async () => {
    const res = await call('/v1/model')
    expect(res.status).toBe(200)
    const card = parseModelCard(await res.json())
    expect(card.version).toMatch(/^[0-9a-f]{16}$/)
    expect(card.labels).toEqual(['cat', 'dog'])
    expect(card.metrics.valAccuracy).toBe(inject('trainerValAccuracy'))
    // The test model seals a fifth of its photos: the estimate is the served model's figure on them.
    expect(card.estimate).toMatchObject({ method: 'holdout', accuracy: inject('trainerValAccuracy') })
    const [low, high] = card.estimate!.accuracyInterval
    expect(low).toBeLessThanOrEqual(card.estimate!.accuracy)
    expect(high).toBeGreaterThanOrEqual(card.estimate!.accuracy)
    expect(card.estimate!.how).toMatch(/sealed before any choice/)
  })

  it('sends an ETag and answers If-None-Match with 304 Not Modified (no body, same ETag)', async () => {
    const res = await call('/v1/model')
    const tag = res.headers.get('ETag')
    expect(tag).toMatch(/^"[0-9a-f]+"$/)
    expect(res.headers.get('Cache-Control')).toBe('no-cache') // keep it, but revalidate

    for (const ifNoneMatch of [tag!, `W/${tag}`, `"stale", ${tag}`, '*']) {
      const again = await call('/v1/model', { headers: { 'If-None-Match': ifNoneMatch } })
      expect(again.status, ifNoneMatch).toBe(304)
      expect(await again.text()).toBe('')
      expect(again.headers.get('ETag')).toBe(tag)
      expect(again.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('answers 200 with the card when If-None-Match names another version', async () => {
    const res = await call('/v1/model', { headers: { 'If-None-Match': '"0000"' } })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { labels: string[] }).labels).toEqual(['cat', 'dog'])
  })
})

describe('GET /healthz', () => {
  it('reports the model version and that tfjs runs on the wasm backend', async () => {
    const res = await call('/healthz')
    const card = (await (await call('/v1/model')).json()) as { version: string }
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, model: card.version, backend: 'wasm' })
  })
})
