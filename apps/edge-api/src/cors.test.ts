import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { call, callWith } from '../test/client.ts'

// The `dev` environment's CORS_ORIGINS (wrangler.jsonc) lists the Vite dev server.
const allowed = 'http://localhost:5173'
const stranger = 'https://evil.example'

describe('CORS, from the CORS_ORIGINS allow-list', () => {
  it('the dev environment allows the Vite dev server', () => {
    expect(env.CORS_ORIGINS).toContain(allowed)
  })

  it('lets an allowed origin read the answer and the headers clients need', async () => {
    const res = await call('/v1/model', { headers: { Origin: allowed } })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(allowed)
    expect(res.headers.get('Vary')).toMatch(/Origin/)
    const exposed = res.headers.get('Access-Control-Expose-Headers')?.split(/,\s*/)
    expect(exposed).toEqual(expect.arrayContaining(['X-Request-Id', 'Server-Timing', 'Retry-After', 'ETag']))
    expect(res.headers.get('Timing-Allow-Origin')).toBe(allowed) // Server-Timing readable from the page
  })

  it('gives any other origin no CORS headers, so its browser hides the answer', async () => {
    const res = await call('/v1/model', { headers: { Origin: stranger } })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(res.headers.get('Timing-Allow-Origin')).toBeNull()
  })

  it('answers a preflight for an upload with the key headers allowed, without needing a key', async () => {
    const preflight = {
      method: 'OPTIONS',
      headers: {
        Origin: allowed,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, authorization, x-api-key',
      },
    }
    const res = await callWith('/v1/classify', preflight, { API_KEYS: 'k'.repeat(32) })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(allowed)
    expect(res.headers.get('Access-Control-Allow-Methods')).toContain('POST')
    const headers = res.headers.get('Access-Control-Allow-Headers')?.toLowerCase()
    for (const h of ['content-type', 'authorization', 'x-api-key']) expect(headers).toContain(h)
  })

  it('with CORS_ORIGINS="*", allows any origin', async () => {
    const res = await callWith('/v1/model', { headers: { Origin: stranger } }, { CORS_ORIGINS: '*' })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
  })

  it('with CORS_ORIGINS empty, allows none (same origin only)', async () => {
    const res = await callWith('/v1/model', { headers: { Origin: allowed } }, { CORS_ORIGINS: '' })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})
