import createClient from 'openapi-fetch'
import { describe, expect, inject, it } from 'vitest'
import type { paths } from '../.generated/openapi.d.ts'
import { classifyOk, fetchWith, freshCopy, fromBase64, TEST_ORIGIN } from '../test/client.ts'

/**
 * docs/api.md's "Generating a client", run: openapi-fetch typed by openapi-typescript from the document
 * (scripts/openapi-types.ts writes .generated/openapi.d.ts before typecheck), calling the Worker in workerd.
 * tsc checks these calls against the generated types, so a route or field renamed in the contract fails
 * the typecheck here as it would in a client team's code.
 */

const photos = inject('validationPhotos')
const photo = (i: number) => fromBase64(photos[i]!.base64)
const jpeg = (bytes: Uint8Array) => new Blob([bytes], { type: 'image/jpeg' })

const whisker = createClient<paths>({ baseUrl: TEST_ORIGIN, fetch: fetchWith() })

/** openapi-fetch JSON-encodes bodies by default; an upload goes as the file itself, or a form of `image` files. */
function uploadBody(body: Blob | { image: Blob[] }): Blob | FormData {
  if (body instanceof Blob) return body
  const form = new FormData()
  for (const file of body.image) form.append('image', file)
  return form
}

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch)', () => {
  it('checks health and reads the model card through their operations', async () => {
    const health = await whisker.GET('/healthz')
    expect(health.response.status).toBe(200)
    expect(health.data).toMatchObject({ ok: true, backend: 'wasm' })

    const card = await whisker.GET('/v1/model')
    expect(card.response.status).toBe(200)
    expect(card.data?.version).toBe(health.data?.model)
    expect([...(card.data?.labels ?? [])].sort()).toEqual(['cat', 'dog'])
  })

  it('classifies a photo, with the same answer a plain fetch of the same bytes gets', async () => {
    const bytes = freshCopy(photo(0))
    const { data, error, response } = await whisker.POST('/v1/classify', {
      params: { query: { topK: 2 } },
      body: jpeg(bytes),
      bodySerializer: uploadBody,
      headers: { 'Content-Type': 'image/jpeg' },
    })
    expect(error).toBeUndefined()
    expect(response.headers.get('X-Whisker-Cache')).toBe('miss')
    if (!data || Array.isArray(data))
      throw new Error(`expected one Classification, got ${JSON.stringify(data)}`)
    expect(data.predictions).toHaveLength(2)

    // The client's request filled the cache; a plain fetch of the same bytes now gets the same answer from it.
    const plain = await classifyOk(bytes, '?topK=2')
    const { label, confidence, predictions, model } = data
    expect(plain).toMatchObject({ label, confidence, predictions, model, cached: true })
  })

  it('sends a multipart batch and gets one Classification per image, in field order', async () => {
    const bytes = [freshCopy(photo(1)), freshCopy(photo(2))]
    const { data, response } = await whisker.POST('/v1/classify', {
      body: { image: bytes.map(jpeg) },
      bodySerializer: uploadBody,
    })
    expect(response.status).toBe(200)
    if (!Array.isArray(data)) throw new Error(`expected a ClassificationBatch, got ${JSON.stringify(data)}`)
    expect(data).toHaveLength(2)
    for (const [i, answer] of data.entries()) {
      const alone = await classifyOk(bytes[i]!)
      expect(answer.label).toBe(alone.label)
      expect(answer.confidence).toBeCloseTo(alone.confidence, 6)
    }
  })

  it('gets a refused request as a typed problem: status, code and the request id', async () => {
    const empty = await whisker.POST('/v1/classify', { body: new Blob([]), bodySerializer: uploadBody })
    expect(empty.response.status).toBe(400)
    expect(empty.error).toMatchObject({ status: 400, code: 'EMPTY_IMAGE' })
    expect(empty.error?.requestId).toBe(empty.response.headers.get('X-Request-Id'))

    const badQuery = await whisker.POST('/v1/classify', {
      params: { query: { topK: 0 } },
      body: jpeg(photo(0)),
      bodySerializer: uploadBody,
    })
    expect(badQuery.error?.code).toBe('INVALID_QUERY')
  })

  it('presents the API key as the document’s bearerAuth scheme says, where a deployment requires one', async () => {
    const key = 'generated-client-key-4f1c9e07b5d4'
    const keyed = createClient<paths>({ baseUrl: TEST_ORIGIN, fetch: fetchWith({ API_KEYS: key }) })

    const refused = await keyed.GET('/v1/model')
    expect(refused.response.status).toBe(401)
    expect(refused.error?.code).toBe('UNAUTHORIZED')

    const allowed = await keyed.GET('/v1/model', { headers: { Authorization: `Bearer ${key}` } })
    expect(allowed.response.status).toBe(200)
    expect(allowed.data?.labels.length).toBeGreaterThanOrEqual(2)

    expect((await keyed.GET('/healthz')).response.status).toBe(200) // `security: []`: public
  })
})
