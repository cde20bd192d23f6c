import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import type { ClassifyResponse } from '../src/app.ts'
import type { Problem } from '../src/errors.ts'
import worker from '../src/index.ts'

/**
 * Requests go straight to the Worker's default export inside workerd: no network, no port. Each comes from
 * a fresh client IP (`CF-Connecting-IP`, as Cloudflare's edge sets it) unless the test sets one, so tests
 * do not share a rate-limit bucket; the rate-limit tests pick their own.
 */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(requestFor(path, init))
}

/**
 * Like call(), through the same app, but with the env overridden (e.g. `API_KEYS`, which the `dev`
 * environment leaves unset), and settled: resolves once the request's waitUntil work, such as a cache
 * write, is done, so the next request sees it.
 */
export function callWith(
  path: string,
  init?: RequestInit,
  overrides: Record<string, string> = {},
): Promise<Response> {
  return fetchWith(overrides)(requestFor(path, init))
}

/**
 * callWith() as a `fetch` for Requests built elsewhere, e.g. by a generated client
 * (`createClient({ fetch: fetchWith() })`): the same app, env overrides, a fresh client IP, settled.
 */
export function fetchWith(overrides: Record<string, string> = {}): (request: Request) => Promise<Response> {
  return async (request) => {
    const ctx = createExecutionContext()
    const res = await worker.fetch(withClientIp(request), { ...env, ...overrides }, ctx)
    await waitOnExecutionContext(ctx)
    return res
  }
}

/** The origin the tests' requests name; the Worker answers any. */
export const TEST_ORIGIN = 'https://whisker.test'

export function requestFor(path: string, init?: RequestInit): Request {
  return withClientIp(new Request(`${TEST_ORIGIN}${path}`, init))
}

function withClientIp(request: Request): Request {
  if (!request.headers.has('CF-Connecting-IP')) request.headers.set('CF-Connecting-IP', randomIp())
  return request
}

/** A random address in 10.0.0.0/8. */
export function randomIp(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3))
  return `10.${a}.${b}.${c}`
}

export function classify(body: BodyInit | null, query = '', headers?: HeadersInit): Promise<Response> {
  return call(`/v1/classify${query}`, { method: 'POST', body, ...(headers ? { headers } : {}) })
}

export async function classifyOk(bytes: Uint8Array, query = ''): Promise<ClassifyResponse> {
  const res = await classify(bytes, query)
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`)
  return res.json()
}

/** A multipart/form-data body with the given (name, file bytes or text) fields, in order. */
export function form(...fields: [name: string, value: Uint8Array | string][]): FormData {
  const data = new FormData()
  for (const [i, [name, value]] of fields.entries()) {
    if (typeof value === 'string') data.append(name, value)
    else data.append(name, new File([value], `photo-${i}.jpg`, { type: 'image/jpeg' }))
  }
  return data
}

/** The response must be an RFC 9457 problem; returns its body. */
export async function problemOf(res: Response): Promise<Problem> {
  if (res.headers.get('Content-Type') !== 'application/problem+json') {
    throw new Error(
      `expected application/problem+json, got ${res.headers.get('Content-Type')}: ${await res.text()}`,
    )
  }
  return res.json()
}

export function fromBase64(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
}

/** The same image with random bytes after its end (which decoders ignore): new bytes, so never cached yet. */
export function freshCopy(image: Uint8Array): Uint8Array {
  const copy = new Uint8Array(image.length + 16)
  copy.set(image)
  copy.set(crypto.getRandomValues(new Uint8Array(16)), image.length)
  return copy
}

/** Server-Timing metrics as name → duration (ms) and description. */
export function serverTiming(res: Response): Map<string, { dur?: number; desc?: string }> {
  const metrics = new Map<string, { dur?: number; desc?: string }>()
  for (const entry of (res.headers.get('Server-Timing') ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';')
    if (!name) continue
    const metric: { dur?: number; desc?: string } = {}
    for (const param of params) {
      const [key, value = ''] = param.split('=')
      if (key === 'dur') metric.dur = Number(value)
      if (key === 'desc') metric.desc = value.replace(/^"|"$/g, '')
    }
    metrics.set(name, metric)
  }
  return metrics
}
