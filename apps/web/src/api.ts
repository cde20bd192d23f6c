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
  type Explanation as ContractExplanation,
  type ModelCard,
  ModelCardSchema,
} from '@whisker/api-contract'
import {
  DEFAULT_MAX_BODY_BYTES,
  type ImageProblemCode,
  MAX_IMAGES_PER_REQUEST,
} from '@whisker/api-contract/plain'

export type { ModelCard, Prediction } from '@whisker/api-contract'

/** The codes of the problems a photo itself can have, as the Worker puts them in `problem.code`. */
export type ProblemCode = ImageProblemCode

/**
 * Where the model looked for its label (`?explain=1`): what the page lays over the photo. The contract's,
 * less the `grid` the page does not draw (the on-device model makes none).
 */
export type Explanation = Omit<ContractExplanation, 'grid'>

/**
 * An answer as the page shows it: the contract's `Classification` (the Worker's answers are validated
 * against its schema), less what only the Worker knows (`cached`, `timing`, the model's `id`), so the
 * on-device model's answers are the same type. A field renamed in the contract fails this Pick at
 * typecheck (src/contract-drift.test.ts runs it against a renamed copy).
 */
export type Classification = Pick<ContractClassification, 'label' | 'confidence' | 'predictions'> & {
  readonly model: Pick<ContractClassification['model'], 'version'>
  readonly explain?: Explanation
}

/** Give up on an answer after this long; the Worker normally answers in well under a second. */
export const ANSWER_TIMEOUT_MS = 30_000

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
    super(`${path} ${expected}`)
    this.name = 'ShapeError'
    this.path = path
    this.expected = expected
  }
}

/** A zod issue's path as code would write it: `predictions[1].score`, `[0].label`; `body` for the root. */
const pathOf = (path: readonly PropertyKey[]): string =>
  path.length === 0
    ? 'body'
    : path
        .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
        .join('')
        .replace(/^\./, '')

/** A schema of the contract, as far as checking a body goes (zod/mini's `safeParse`). */
interface Schema<T> {
  safeParse(
    body: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: PropertyKey[]; message: string }[] } }
}

/** `body` checked against `schema`, the contract's, as the Worker's answers are built from it. */
function parseWith<T>(schema: Schema<T>, body: unknown): T {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw new ShapeError(pathOf(issue?.path ?? []), issue?.message ?? 'is invalid')
}

/** Validates a `POST /v1/classify` success body against the contract. Throws {@link ShapeError}. */
export const parseClassification = (body: unknown): ContractClassification =>
  parseWith(ClassificationSchema, body)

/** Validates the answer to a multipart batch: one classification per image, in field order. */
export function parseClassificationBatch(body: unknown, count: number): ContractClassification[] {
  const batch = parseWith(ClassificationBatchSchema, body)
  if (batch.length !== count)
    throw new ShapeError('body', `should hold ${count} classifications, one per image`)
  return batch
}

/** Validates a `GET /v1/model` body (also the `card.json` served for on-device use) against the contract. */
export const parseModelCard = (body: unknown): ModelCard => parseWith(ModelCardSchema, body)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Reads an error response body (RFC 9457 problem details, ideally). Never throws: fields that are missing or
 * not strings are left out, and the HTTP status always wins over a `status` member in the body. Leniently,
 * not with the contract's ProblemSchema: an error can come from the platform in front of the Worker (a
 * Cloudflare error page, a proxy's), and whatever it says is still worth showing.
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
