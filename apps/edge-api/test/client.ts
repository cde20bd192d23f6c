import { exports } from 'cloudflare:workers'
import type { ClassifyResponse } from '../src/app.ts'
import type { Problem } from '../src/errors.ts'

/** Requests go straight to the Worker's default export inside workerd: no network, no port. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`https://whisker.test${path}`, init))
}

export function classify(body: BodyInit | null, query = '', headers?: HeadersInit): Promise<Response> {
  return call(`/v1/classify${query}`, { method: 'POST', body, ...(headers ? { headers } : {}) })
}

export async function classifyOk(bytes: Uint8Array, query = ''): Promise<ClassifyResponse> {
  const res = await classify(bytes, query)
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${await res.text()}`)
  return res.json()
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
