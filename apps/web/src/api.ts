/**
 * Typed client for the Whisker Worker API, served from the same origin as this page.
 *
 * Every call resolves to an {@link Outcome}; it never throws for HTTP errors, bad JSON or network failures,
 * so the page can always turn a failure into plain words.
 */

import {
  ClassificationBatchSchema,
  ClassificationSchema,
  type Classification as ContractClassification,
  type ModelCard as ContractModelCard,
  DEFAULT_MAX_BODY_BYTES,
  ExplanationSchema,
  type ImageProblemCode,
  ModelCardSchema,
} from '@whisker/api-contract'
import type { z } from 'zod'

/**
 * The answers' types are the Worker's contract (@whisker/api-contract), narrowed to what the page reads:
 * `Pick` names each field, so a field renamed or removed in the contract fails the page's typecheck, and
 * the schemas that validate what arrives are the ones the Worker's routes and /openapi.json are built from.
 * Narrowed rather than whole so "on this device" answers, which have no cache or stage times, fit too.
 */

/** `200` body of `POST /v1/classify`: the parts the page reads. */
export type Classification = Pick<ContractClassification, 'label' | 'confidence' | 'predictions'> & {
  readonly model: Pick<ContractClassification['model'], 'version'>
  /** Present when asked for (`explain: true`) and the model can explain itself. */
  readonly explain?: Explanation
}

/** Where the model looked for its label (`?explain=1`): a heatmap to lay over the part of the photo it saw. */
export type Explanation = Pick<
  NonNullable<ContractClassification['explain']>,
  'method' | 'label' | 'png' | 'region'
>

type Card = ContractModelCard

/** Body of `GET /v1/model` (and the `card.json` served for on-device use): the parts the page shows. */
export type ModelCard = Pick<Card, 'labels' | 'version'> &
  Partial<Pick<Card, 'name' | 'createdAt'>> & {
    readonly architecture?: Pick<Card['architecture'], 'backbone'>
    readonly metrics?: Partial<Pick<Card['metrics'], 'valAccuracy' | 'valCount'>>
    readonly estimate?: Pick<
      NonNullable<Card['estimate']>,
      'method' | 'folds' | 'count' | 'accuracy' | 'accuracyInterval'
    >
  }

/** The codes of the problems a photo itself can have: the Worker's, and the device's when it runs here. */
export type ProblemCode = ImageProblemCode

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

/** The JSON did not have the contract's shape; `path` names the first offending field, `problem` what is wrong. */
export class ShapeError extends Error {
  readonly path: string
  readonly problem: string
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`)
    this.name = 'ShapeError'
    this.path = path
    this.problem = problem
  }
}

/** A zod issue path as the page's messages write it: `predictions[1].score`, `[0].label`, `body`. */
function pathOf(path: readonly PropertyKey[]): string {
  const written = path
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('')
    .replace(/^\./, '')
  return written === '' ? 'body' : written
}

/** Validates `body` with a contract schema; throws {@link ShapeError} naming the first offending field. */
function parseWith<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const [issue] = parsed.error.issues
  throw new ShapeError(pathOf(issue?.path ?? []), issue?.message ?? 'invalid')
}

/**
 * The page's reading of an answer: the contract's, except that a malformed `explain` is dropped instead of
 * failing the answer: a heatmap is a bonus, never a reason to lose the label.
 */
const PageClassificationSchema = ClassificationSchema.extend({
  explain: ExplanationSchema.optional().catch(undefined),
})

/** Keeps a malformed `explain` out of the answer rather than as an `explain: undefined` member. */
function withoutEmptyExplain<T extends { explain?: unknown }>(answer: T): T {
  if (answer.explain !== undefined) return answer
  const { explain: _, ...rest } = answer
  return rest as T
}

/** Validates a `POST /v1/classify` success body against the contract. Throws {@link ShapeError}. */
export function parseClassification(body: unknown): Classification {
  return withoutEmptyExplain(parseWith(PageClassificationSchema, body))
}

/** Validates the answer to a multipart batch: one classification per image, in field order. */
export function parseClassificationBatch(body: unknown, count: number): Classification[] {
  const batch = parseWith(
    ClassificationBatchSchema.element.extend({ explain: PageClassificationSchema.shape.explain }).array(),
    body,
  )
  if (batch.length !== count) throw new ShapeError('body', `expected ${count} classifications, one per image`)
  return batch.map(withoutEmptyExplain)
}

/** The optional `explain` member, or undefined when absent or malformed. */
export function parseExplanation(value: unknown): Explanation | undefined {
  const parsed = ExplanationSchema.safeParse(value)
  return parsed.success ? parsed.data : undefined
}

/** Validates a `GET /v1/model` body (also the `card.json` served for on-device use) against the contract. */
export function parseModelCard(body: unknown): ModelCard {
  return parseWith(ModelCardSchema, body)
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

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
