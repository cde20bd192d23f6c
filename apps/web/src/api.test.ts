import { CLASSIFICATION_EXAMPLE, MODEL_CARD_EXAMPLE } from '@whisker/api-contract'
import { describe, expect, it } from 'vitest'
import {
  type ClientOptions,
  classify,
  classifyBatch,
  getModelCard,
  MAX_UPLOAD_BYTES,
  parseClassification,
  parseClassificationBatch,
  parseModelCard,
  parseProblem,
  precheckImage,
  precheckUpload,
  ShapeError,
} from './api.ts'

/**
 * The page checks answers with the contract's own schemas (@whisker/api-contract, which the Worker's
 * routes and /openapi.json are built from), so these tests start from the contract's examples and check
 * what the page does with what the schemas refuse: a named field, never a half-read answer.
 */
const catAnswer = structuredClone(CLASSIFICATION_EXAMPLE)
const card = structuredClone(MODEL_CARD_EXAMPLE)

/** The path of the field a parse rejected. */
function rejectedPath(parse: () => unknown): string {
  try {
    parse()
  } catch (error) {
    if (error instanceof ShapeError) return error.path
    throw error
  }
  throw new Error('expected the body to be rejected')
}

describe('parseClassification', () => {
  it('accepts the documented success body', () => {
    expect(parseClassification(catAnswer)).toEqual(catAnswer)
  })

  it('ignores fields it does not know, so the Worker can add some', () => {
    const parsed = parseClassification({
      ...catAnswer,
      timingMs: 12,
      model: { ...catAnswer.model, labels: ['cat', 'dog'] },
    })
    expect(parsed).toEqual(catAnswer)
  })

  it.each([
    ['a body that is not an object', [], 'body'],
    ['a missing label', { ...catAnswer, label: undefined }, 'label'],
    ['an empty label', { ...catAnswer, label: '' }, 'label'],
    ['a confidence given as a percentage', { ...catAnswer, confidence: 98 }, 'confidence'],
    ['a confidence given as a string', { ...catAnswer, confidence: '0.98' }, 'confidence'],
    ['no predictions', { ...catAnswer, predictions: [] }, 'predictions'],
    ['a prediction that is not an object', { ...catAnswer, predictions: ['cat'] }, 'predictions[0]'],
    [
      'a negative score',
      { ...catAnswer, predictions: [catAnswer.predictions[0], { label: 'dog', score: -0.1 }] },
      'predictions[1].score',
    ],
    ['a missing model', { ...catAnswer, model: undefined }, 'model'],
    ['a model without a version', { ...catAnswer, model: { id: 'whisker-cat-dog' } }, 'model.version'],
  ])('rejects %s and names the field', (_, body, path) => {
    expect(rejectedPath(() => parseClassification(body))).toBe(path)
  })
})

describe('parseClassificationBatch', () => {
  it('accepts one classification per image, and names the image of a malformed one', () => {
    expect(parseClassificationBatch([catAnswer, catAnswer], 2)).toEqual([catAnswer, catAnswer])
    expect(rejectedPath(() => parseClassificationBatch([catAnswer, { ...catAnswer, label: 7 }], 2))).toBe(
      '[1].label',
    )
  })

  it('refuses an answer with more or fewer classifications than images sent', () => {
    expect(rejectedPath(() => parseClassificationBatch([catAnswer], 2))).toBe('body')
    expect(rejectedPath(() => parseClassificationBatch(catAnswer, 1))).toBe('body')
  })
})

const explanation = {
  method: 'grad-cam',
  label: 'cat',
  grid: [
    [0, 0.5],
    [1, 0.25],
  ],
  png: 'data:image/png;base64,iVBORw0KGgo=',
  region: { x: 64, y: 0, width: 384, height: 384 },
}

describe('`explain` (with ?explain=1)', () => {
  it('keeps the heatmap the page lays over the photo', () => {
    expect(parseClassification({ ...catAnswer, explain: explanation })).toEqual({
      ...catAnswer,
      explain: explanation,
    })
  })

  it('is optional: an answer without it has none', () => {
    expect(parseClassification(catAnswer)).not.toHaveProperty('explain')
  })

  it.each([
    ['not an object', 'heatmap', 'explain'],
    [
      'a picture that is not a PNG data URL',
      { ...explanation, png: 'https://evil.example/x.png' },
      'explain.png',
    ],
    [
      'a picture that is not base64',
      { ...explanation, png: 'data:image/png;base64,<svg onload=x>' },
      'explain.png',
    ],
    [
      'a PNG data URL of another type',
      { ...explanation, png: 'data:image/svg+xml;base64,PHN2Zz4=' },
      'explain.png',
    ],
    ['no region', { ...explanation, region: undefined }, 'explain.region'],
    [
      'an empty region',
      { ...explanation, region: { x: 0, y: 0, width: 0, height: 5 } },
      'explain.region.width',
    ],
    [
      'a fractional region',
      { ...explanation, region: { x: 0.5, y: 0, width: 5, height: 5 } },
      'explain.region.x',
    ],
    ['no label', { ...explanation, label: '' }, 'explain.label'],
  ])('refuses %s: the page never puts an unchecked picture in an img', (_, explain, path) => {
    expect(rejectedPath(() => parseClassification({ ...catAnswer, explain }))).toBe(path)
  })
})

describe('parseModelCard', () => {
  it('accepts the card the Worker serves, as the contract documents it', () => {
    expect(parseModelCard(card)).toEqual(card)
  })

  it('refuses a card the contract refuses, naming the field', () => {
    expect(rejectedPath(() => parseModelCard({ ...card, labels: ['cat'] }))).toBe('labels')
    expect(rejectedPath(() => parseModelCard({ ...card, labels: ['cat', 7] }))).toBe('labels[1]')
    const { version: _, ...unversioned } = card
    expect(rejectedPath(() => parseModelCard(unversioned))).toBe('version')
    expect(rejectedPath(() => parseModelCard({ ...card, createdAt: 'yesterday' }))).toBe('createdAt')
  })
})

describe('parseProblem', () => {
  it('reads code, title and detail from an RFC 9457 body', () => {
    const body = {
      type: 'https://whisker.dev/problems/unsupported-type',
      title: 'Unsupported image type',
      status: 415,
      detail: 'Unsupported image type: not a JPEG, PNG or WebP image.',
      code: 'UNSUPPORTED_TYPE',
    }
    expect(parseProblem(body, 415)).toEqual({
      kind: 'problem',
      status: 415,
      code: 'UNSUPPORTED_TYPE',
      title: 'Unsupported image type',
      detail: 'Unsupported image type: not a JPEG, PNG or WebP image.',
    })
  })

  it('trusts the HTTP status over the status member of the body', () => {
    expect(parseProblem({ status: 200, code: 'CORRUPT_IMAGE' }, 400).status).toBe(400)
  })

  it('never throws on bodies that are not problems', () => {
    expect(parseProblem('Bad Gateway', 502)).toEqual({ kind: 'problem', status: 502 })
    expect(parseProblem(null, 500)).toEqual({ kind: 'problem', status: 500 })
    expect(parseProblem({ code: 42, title: ['x'] }, 400)).toEqual({ kind: 'problem', status: 400 })
  })
})

describe('precheckImage', () => {
  it('stops an empty file before it is uploaded', () => {
    expect(precheckImage({ size: 0, type: 'image/jpeg' })).toBe('EMPTY_IMAGE')
  })

  it('stops a file the browser knows is not an image', () => {
    expect(precheckImage({ size: 10, type: 'application/pdf' })).toBe('UNSUPPORTED_TYPE')
    expect(precheckImage({ size: 10, type: 'video/mp4' })).toBe('UNSUPPORTED_TYPE')
  })

  it('lets images and files of unknown type through for the Worker to judge', () => {
    expect(precheckImage({ size: 10, type: 'image/png' })).toBeUndefined()
    expect(precheckImage({ size: 10, type: 'IMAGE/HEIC' })).toBeUndefined()
    expect(precheckImage({ size: 10, type: '' })).toBeUndefined()
  })
})

describe('precheckUpload', () => {
  it("stops what is still over the Worker's 10 MiB limit after downscaling", () => {
    expect(precheckUpload({ size: MAX_UPLOAD_BYTES })).toBeUndefined()
    expect(precheckUpload({ size: MAX_UPLOAD_BYTES + 1 })).toBe('TOO_MANY_BYTES')
  })
})

interface Sent {
  url: string
  method: string
  headers: Headers
  body: Uint8Array
}

/** A fake `fetch` that records the request and answers with `respond()`; the clock advances 40 ms per call. */
function fakeServer(respond: () => Response | Promise<Response>) {
  const sent: Sent[] = []
  let clock = 1000
  const options: ClientOptions = {
    now: () => {
      clock += 40
      return clock
    },
    fetch: async (input, init) => {
      const request = new Request(input, init)
      sent.push({
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: new Uint8Array(await request.arrayBuffer()),
      })
      return respond()
    },
    baseUrl: 'https://whisker.test',
  }
  return { sent, options }
}

const json = (body: unknown, status = 200, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } })

const jpeg = new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], { type: 'image/jpeg' })

describe('classify', () => {
  it('POSTs the raw bytes to /v1/classify with the file type as Content-Type', async () => {
    const server = fakeServer(() => json(catAnswer))
    await classify(jpeg, server.options)
    expect(server.sent).toHaveLength(1)
    const [request] = server.sent
    expect(request?.url).toBe('https://whisker.test/v1/classify')
    expect(request?.method).toBe('POST')
    expect(request?.headers.get('content-type')).toBe('image/jpeg')
    expect([...(request?.body ?? [])]).toEqual([0xff, 0xd8, 0xff, 0xe0])
  })

  it('asks for the heatmap with ?explain=1 when told to, for one photo and for a batch', async () => {
    const server = fakeServer(() => json(catAnswer))
    await classify(jpeg, { ...server.options, explain: true })
    expect(server.sent[0]?.url).toBe('https://whisker.test/v1/classify?explain=1')
    const batch = fakeServer(() => json([catAnswer, catAnswer]))
    const images = [jpeg, jpeg].map((blob) => ({ blob, name: 'a.jpg' }))
    expect((await classifyBatch(images, { ...batch.options, explain: true })).ok).toBe(true)
    expect(batch.sent[0]?.url).toBe('https://whisker.test/v1/classify?explain=1')
  })

  it('sends application/octet-stream when the file has no type', async () => {
    const server = fakeServer(() => json(catAnswer))
    await classify(new Blob([new Uint8Array([1, 2, 3])]), server.options)
    expect(server.sent[0]?.headers.get('content-type')).toBe('application/octet-stream')
  })

  it('returns the parsed answer and the round-trip time', async () => {
    const server = fakeServer(() => json(catAnswer))
    expect(await classify(jpeg, server.options)).toEqual({ ok: true, value: catAnswer, latencyMs: 40 })
  })

  it('turns a problem+json error into a problem with its code', async () => {
    const server = fakeServer(() =>
      json(
        { type: 'about:blank', title: 'Too many pixels', status: 422, code: 'TOO_MANY_PIXELS' },
        422,
        'application/problem+json',
      ),
    )
    const outcome = await classify(jpeg, server.options)
    expect(outcome).toMatchObject({
      ok: false,
      error: { kind: 'problem', status: 422, code: 'TOO_MANY_PIXELS' },
    })
  })

  it('keeps the status of an error whose body is not JSON', async () => {
    const server = fakeServer(() => new Response('<h1>Bad gateway</h1>', { status: 502 }))
    const outcome = await classify(jpeg, server.options)
    expect(outcome).toEqual({ ok: false, latencyMs: 40, error: { kind: 'problem', status: 502 } })
  })

  it('reports a success whose body is not the expected JSON as a bad response', async () => {
    const notJson = fakeServer(() => new Response('<!doctype html><title>Whisker</title>', { status: 200 }))
    expect(await classify(jpeg, notJson.options)).toMatchObject({
      ok: false,
      error: { kind: 'bad-response', status: 200, reason: 'body is not JSON' },
    })
    const wrongShape = fakeServer(() => json({ ...catAnswer, confidence: 98 }))
    expect(await classify(jpeg, wrongShape.options)).toMatchObject({
      ok: false,
      error: { kind: 'bad-response', reason: expect.stringMatching(/^confidence /) },
    })
  })

  it('reports a request that never got an answer as a network failure', async () => {
    const server = fakeServer(() => Promise.reject(new TypeError('Failed to fetch')))
    expect(await classify(jpeg, server.options)).toEqual({
      ok: false,
      error: { kind: 'network', reason: 'Failed to fetch' },
    })
  })

  it('tells a timeout apart from a request the page cancelled itself', async () => {
    const timedOut = new AbortController()
    timedOut.abort(new DOMException('No answer in time', 'TimeoutError'))
    const cancelled = new AbortController()
    cancelled.abort()
    const fetchHonouringSignal: typeof fetch = async (_, init) => {
      init?.signal?.throwIfAborted()
      return json(catAnswer)
    }
    expect(await classify(jpeg, { fetch: fetchHonouringSignal, signal: timedOut.signal })).toEqual({
      ok: false,
      error: { kind: 'timeout' },
    })
    expect(await classify(jpeg, { fetch: fetchHonouringSignal, signal: cancelled.signal })).toEqual({
      ok: false,
      error: { kind: 'aborted' },
    })
  })
})

describe('getModelCard', () => {
  it('GETs /v1/model and parses the card', async () => {
    const server = fakeServer(() => json(card))
    const outcome = await getModelCard(server.options)
    expect(server.sent[0]).toMatchObject({ url: 'https://whisker.test/v1/model', method: 'GET' })
    expect(outcome).toEqual({ ok: true, latencyMs: 40, value: card })
  })
})
