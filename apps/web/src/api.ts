/**
 * Typed client for the Whisker Worker API, served from the same origin as this page.
 *
 * Every call resolves to an {@link Outcome}; it never throws for HTTP errors, bad JSON or network failures,
 * so the page can always turn a failure into plain words.
 */

import type {
  Classification as ContractClassification,
  ModelCard as ContractModelCard,
} from '@whisker/api-contract'
import {
  DEFAULT_MAX_BODY_BYTES,
  type ImageProblemCode,
  MAX_IMAGES_PER_REQUEST,
} from '@whisker/api-contract/plain'

/** The codes of the problems a photo itself can have, as the Worker puts them in `problem.code`. */
export type ProblemCode = ImageProblemCode

export interface Prediction {
  readonly label: string
  /** Probability in [0, 1]. */
  readonly score: number
}

/** Where the model looked for its label (`?explain=1`): a heatmap to lay over the part of the photo it saw. */
export interface Explanation {
  /** `grad-cam` or `cam`, as the model card says. */
  readonly method: string
  /** The class explained: the answer's label. */
  readonly label: string
  /** `data:image/png;base64,…`: the heatmap, coloured, more opaque where it counted more. */
  readonly png: string
  /** The part of the (upright) photo the heatmap covers, in its pixels. */
  readonly region: { readonly x: number; readonly y: number; readonly width: number; readonly height: number }
}

/** `200` body of `POST /v1/classify`. */
export interface Classification {
  readonly label: string
  /** Probability of `label`, in [0, 1]. */
  readonly confidence: number
  readonly predictions: readonly Prediction[]
  readonly model: { readonly version: string }
  /** Present when asked for (`explain: true`) and the model can explain itself. */
  readonly explain?: Explanation
}

/** Body of `GET /v1/model`: the parts this page uses; other fields are ignored. */
export interface ModelCard {
  readonly labels: readonly string[]
  readonly version: string
  /** e.g. `whisker-cat-dog`. */
  readonly name?: string
  /** ISO 8601 date-time of training. */
  readonly createdAt?: string
  /** The pretrained backbone, e.g. `mobilenet_v2_0.35`. */
  readonly backbone?: string
  readonly metrics?: {
    /** Share of validation photos labelled right, in [0, 1]. */
    readonly valAccuracy?: number
    /** How many validation photos that was measured on. */
    readonly valCount?: number
  }
  /** What new photos should get, measured on photos no choice of the training saw (cards since 2026-12). */
  readonly estimate?: {
    readonly method: string
    readonly folds?: number
    readonly count: number
    readonly accuracy: number
    readonly accuracyInterval: readonly [number, number]
  }
}

/**
 * The page's shapes are checked against the Worker's contract at compile time only (`import type`: the
 * schemas and zod stay out of the page's first download). Every answer the contract allows must be one the
 * page accepts, so a field renamed or retyped in the contract fails this typecheck
 * (src/contract-drift.test.ts runs it against a renamed copy).
 */
type Accepts<Page, Contract> = [Contract] extends [Page] ? true : never
export const READS_THE_CONTRACT: [
  Accepts<Classification, ContractClassification>,
  Accepts<ModelCard, ContractModelCard>,
] = [true, true]

/** Why a call did not produce a value. */
export type ApiError =
  /** The Worker answered with an error status; fields come from its RFC 9457 problem body when it had one. */
  | {
      readonly kind: 'problem'
      readonly status: number
      readonly code?: string
      readonly title?: string
      readonly detail?: string
      /** In a batch, which image (0-based, in field order) the problem is about. */
      readonly index?: number
    }
  /** A success status whose body is not the JSON shape this client expects. */
  | { readonly kind: 'bad-response'; readonly status: number; readonly reason: string }
  /** No answer at all: offline, DNS, connection reset, CORS, ... */
  | { readonly kind: 'network'; readonly reason: string }
  /** The request's signal timed out (`AbortSignal.timeout`). */
  | { readonly kind: 'timeout' }
  /** The caller aborted the request, e.g. because a newer photo was chosen. */
  | { readonly kind: 'aborted' }
  /** The model could not run in this browser ("on this device" mode). */
  | { readonly kind: 'device'; readonly reason: string }

export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly latencyMs: number }
  | { readonly ok: false; readonly error: ApiError; readonly latencyMs?: number }

export interface ClientOptions {
  /** Prefix for API paths; empty (same origin) by default. */
  readonly baseUrl?: string
  readonly signal?: AbortSignal
  /** Injected for tests. */
  readonly fetch?: typeof fetch
  /** Monotonic clock in ms, injected for tests; `performance.now` by default. */
  readonly now?: () => number
}

/** The JSON did not have the expected shape; `path` names the first offending field. */
export class ShapeError extends Error {
  readonly path: string
  readonly expected: string
  constructor(path: string, expected: string) {
    super(`${path} should be ${expected}`)
    this.name = 'ShapeError'
    this.path = path
    this.expected = expected
  }
}

type JsonObject = Record<string, unknown>

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function object(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new ShapeError(path, 'an object')
  return value
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ShapeError(path, 'a non-empty string')
  return value
}

function probability(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ShapeError(path, 'a number from 0 to 1')
  }
  return value
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new ShapeError(path, 'a non-empty array')
  return value
}

/** Validates the answer to a multipart batch: one classification per image, in field order. */
export function parseClassificationBatch(body: unknown, count: number): Classification[] {
  if (!Array.isArray(body)) throw new ShapeError('body', 'an array')
  if (body.length !== count) throw new ShapeError('body', `${count} classifications, one per image`)
  return body.map((item, i) => {
    try {
      return parseClassification(item)
    } catch (error) {
      if (error instanceof ShapeError) {
        throw new ShapeError(error.path === 'body' ? `[${i}]` : `[${i}].${error.path}`, error.expected)
      }
      throw error
    }
  })
}

/** Validates a `POST /v1/classify` success body and keeps only the known fields. Throws {@link ShapeError}. */
export function parseClassification(body: unknown): Classification {
  const root = object(body, 'body')
  const predictions = list(root.predictions, 'predictions').map((item, i) => {
    const prediction = object(item, `predictions[${i}]`)
    return {
      label: text(prediction.label, `predictions[${i}].label`),
      score: probability(prediction.score, `predictions[${i}].score`),
    }
  })
  const classification = {
    label: text(root.label, 'label'),
    confidence: probability(root.confidence, 'confidence'),
    predictions,
    model: { version: text(object(root.model, 'model').version, 'model.version') },
  }
  const explain = parseExplanation(root.explain)
  return explain === undefined ? classification : { ...classification, explain }
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0

/**
 * The optional `explain` member: kept only when it is whole and its picture is a PNG data URL (the page
 * puts it in an `img`), else dropped: a heatmap is a bonus, never a reason to fail the answer.
 */
export function parseExplanation(value: unknown): Explanation | undefined {
  if (!isObject(value) || !isObject(value.region)) return undefined
  const { method, label, png, region } = value
  if (typeof method !== 'string' || typeof label !== 'string' || label.trim() === '') return undefined
  if (typeof png !== 'string' || !/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/.test(png)) return undefined
  const { x, y, width, height } = region
  if (!isCount(x) || !isCount(y) || !isCount(width) || !isCount(height) || width === 0 || height === 0)
    return undefined
  return { method, label, png, region: { x, y, width, height } }
}

const optionalText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined

/**
 * Validates a `GET /v1/model` body (also the `card.json` served for on-device use). `labels` and `version`
 * are required; the optional fields are dropped when missing or malformed instead of failing the card.
 */
export function parseModelCard(body: unknown): ModelCard {
  const root = object(body, 'body')
  const labels = list(root.labels, 'labels').map((label, i) => text(label, `labels[${i}]`))
  const card: {
    labels: string[]
    version: string
    name?: string
    createdAt?: string
    backbone?: string
    metrics?: { valAccuracy?: number; valCount?: number }
    estimate?: ModelCard['estimate']
  } = { labels, version: text(root.version, 'version') }
  const name = optionalText(root.name)
  if (name !== undefined) card.name = name
  const createdAt = optionalText(root.createdAt)
  if (createdAt !== undefined && !Number.isNaN(Date.parse(createdAt))) card.createdAt = createdAt
  const backbone = isObject(root.architecture) ? optionalText(root.architecture.backbone) : undefined
  if (backbone !== undefined) card.backbone = backbone
  const metrics: { valAccuracy?: number; valCount?: number } = {}
  const accuracy = isObject(root.metrics) ? root.metrics.valAccuracy : undefined
  if (typeof accuracy === 'number' && Number.isFinite(accuracy) && accuracy >= 0 && accuracy <= 1) {
    metrics.valAccuracy = accuracy
  }
  const count = isObject(root.metrics) ? root.metrics.valCount : undefined
  if (typeof count === 'number' && Number.isInteger(count) && count > 0) metrics.valCount = count
  if (Object.keys(metrics).length > 0) card.metrics = metrics
  const estimate = parseEstimate(root.estimate)
  if (estimate !== undefined) card.estimate = estimate
  return card
}

/** The card's estimate, or undefined when absent or malformed (the page then falls back to `metrics`). */
function parseEstimate(value: unknown): ModelCard['estimate'] {
  if (!isObject(value)) return undefined
  const share = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1
  const { method, folds, count, accuracy, accuracyInterval: interval } = value
  if (typeof method !== 'string' || !share(accuracy)) return undefined
  if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0) return undefined
  if (!Array.isArray(interval) || interval.length !== 2 || !interval.every(share)) return undefined
  return {
    method,
    ...(typeof folds === 'number' && Number.isInteger(folds) ? { folds } : {}),
    count,
    accuracy: accuracy as number,
    accuracyInterval: [interval[0] as number, interval[1] as number],
  }
}

/**
 * Reads an error response body (RFC 9457 problem details, ideally). Never throws: fields that are missing or
 * not strings are left out, and the HTTP status always wins over a `status` member in the body.
 */
export function parseProblem(body: unknown, status: number): ApiError & { kind: 'problem' } {
  const problem: {
    kind: 'problem'
    status: number
    code?: string
    title?: string
    detail?: string
    index?: number
  } = { kind: 'problem', status }
  if (!isObject(body)) return problem
  if (typeof body.code === 'string' && body.code !== '') problem.code = body.code
  if (typeof body.title === 'string' && body.title !== '') problem.title = body.title
  if (typeof body.detail === 'string' && body.detail !== '') problem.detail = body.detail
  if (typeof body.index === 'number' && Number.isInteger(body.index) && body.index >= 0)
    problem.index = body.index
  return problem
}

/**
 * Catches what the Worker would reject anyway, before uploading: an empty file, or one the browser
 * already knows is not an image (a PDF, a video). Files with no type are sent and left to the Worker.
 */
export function precheckImage(file: {
  readonly size: number
  readonly type: string
}): ProblemCode | undefined {
  if (file.size === 0) return 'EMPTY_IMAGE'
  if (file.type !== '' && !file.type.toLowerCase().startsWith('image/')) return 'UNSUPPORTED_TYPE'
  return undefined
}

/** The Worker refuses bodies over its limit (`TOO_MANY_BYTES`); the page says so without uploading them. */
export const MAX_UPLOAD_BYTES = DEFAULT_MAX_BODY_BYTES

/** What is about to be uploaded (after downscaling), checked against the Worker's byte limit. */
export function precheckUpload(blob: { readonly size: number }): ProblemCode | undefined {
  return blob.size > MAX_UPLOAD_BYTES ? 'TOO_MANY_BYTES' : undefined
}

function whyNoAnswer(error: unknown, signal: AbortSignal | undefined): ApiError {
  const reason = signal?.aborted ? signal.reason : error
  const name = typeof reason === 'object' && reason !== null ? (reason as { name?: unknown }).name : undefined
  if (name === 'TimeoutError') return { kind: 'timeout' }
  if (name === 'AbortError' || signal?.aborted) return { kind: 'aborted' }
  return { kind: 'network', reason: error instanceof Error ? error.message : String(error) }
}

async function request<T>(
  path: string,
  init: RequestInit,
  parse: (body: unknown) => T,
  options: ClientOptions,
): Promise<Outcome<T>> {
  const send = options.fetch ?? globalThis.fetch
  const now = options.now ?? (() => performance.now())
  const started = now()
  let status: number
  let ok: boolean
  let raw: string
  try {
    const response = await send(`${options.baseUrl ?? ''}${path}`, { ...init, signal: options.signal })
    status = response.status
    ok = response.ok
    raw = await response.text()
  } catch (error) {
    return { ok: false, error: whyNoAnswer(error, options.signal) }
  }
  const latencyMs = Math.max(0, now() - started)

  let body: unknown
  let isJson = true
  try {
    body = JSON.parse(raw)
  } catch {
    isJson = false
  }

  if (!ok) return { ok: false, latencyMs, error: parseProblem(isJson ? body : undefined, status) }
  if (!isJson)
    return { ok: false, latencyMs, error: { kind: 'bad-response', status, reason: 'body is not JSON' } }
  try {
    return { ok: true, latencyMs, value: parse(body) }
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error
    return { ok: false, latencyMs, error: { kind: 'bad-response', status, reason: error.message } }
  }
}

const ACCEPT = 'application/json, application/problem+json'

export interface ClassifyOptions extends ClientOptions {
  /** Also ask where the model looked (`?explain=1`): a heatmap per photo, about 10 kB more each. */
  readonly explain?: boolean
}

const classifyPath = (options: ClassifyOptions) => `/v1/classify${options.explain ? '?explain=1' : ''}`

/** `POST /v1/classify` with the raw image bytes. `latencyMs` covers the upload, the work and the answer. */
export function classify(image: Blob, options: ClassifyOptions = {}): Promise<Outcome<Classification>> {
  const init: RequestInit = {
    method: 'POST',
    headers: { 'content-type': image.type || 'application/octet-stream', accept: ACCEPT },
    body: image,
  }
  return request(classifyPath(options), init, parseClassification, options)
}

/** The Worker's limit on images per multipart request. */
export { MAX_IMAGES_PER_REQUEST }

/**
 * `POST /v1/classify` as `multipart/form-data`, one `image` file field per photo: one round trip for many
 * photos (and one request against the rate limit). The answer is one classification per image, in order.
 * One image the Worker refuses fails the whole request; its problem then carries that image's `index`.
 */
export function classifyBatch(
  images: readonly { readonly blob: Blob; readonly name: string }[],
  options: ClassifyOptions = {},
): Promise<Outcome<Classification[]>> {
  const form = new FormData()
  for (const image of images) form.append('image', image.blob, image.name || 'photo')
  const init: RequestInit = { method: 'POST', headers: { accept: ACCEPT }, body: form }
  return request(
    classifyPath(options),
    init,
    (body) => parseClassificationBatch(body, images.length),
    options,
  )
}

/** `GET /v1/model`: the model card of the model the Worker is serving. */
export function getModelCard(options: ClientOptions = {}): Promise<Outcome<ModelCard>> {
  return request('/v1/model', { headers: { accept: ACCEPT } }, parseModelCard, options)
}
