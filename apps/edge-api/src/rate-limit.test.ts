import { describe, expect, inject, it } from 'vitest'
import { call, callWith, problemOf, randomIp } from '../test/client.ts'

const { limit, period } = inject('rateLimit') // env.dev's RATE_LIMITER, read from wrangler.jsonc

/**
 * miniflare's rate limiter counts in windows aligned to the clock (like `period`-second buckets). Starting
 * a burst in the last two seconds of a window could split it across two; wait for the next one instead.
 */
async function startOfWindow(): Promise<void> {
  const into = Date.now() % (period * 1000)
  if (into > period * 1000 - 2000) await new Promise((r) => setTimeout(r, period * 1000 - into + 50))
}

/** `count` requests to /v1/model from one client, in order; their statuses. */
async function burst(count: number, headers: Record<string, string>, env: Record<string, string> = {}) {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) statuses.push((await callWith('/v1/model', { headers }, env)).status)
  return statuses
}

describe('rate limiting (the RATE_LIMITER binding, miniflare’s simulation inside workerd)', () => {
  it(`lets a client make ${limit} requests per ${period} s, then answers 429 with Retry-After`, async () => {
    await startOfWindow()
    const ip = randomIp()
    expect(await burst(limit, { 'CF-Connecting-IP': ip })).toEqual(Array(limit).fill(200))

    const res = await call('/v1/model', { headers: { 'CF-Connecting-IP': ip } })
    expect(res.status).toBe(429)
    expect(res.headers.get('Retry-After')).toBe(String(period))
    expect(await problemOf(res)).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    // A request that is refused is still a normal response: id, CORS-safe problem body
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)

    // Others are not affected: the bucket is per client
    expect((await call('/v1/model', { headers: { 'CF-Connecting-IP': randomIp() } })).status).toBe(200)
    // Neither is what is not the API
    expect((await call('/healthz', { headers: { 'CF-Connecting-IP': ip } })).status).toBe(200)
  })

  it('counts a client with a valid API key by its key, not its IP (nor a made-up key)', async () => {
    await startOfWindow()
    const key = crypto.randomUUID() // unique per run, so the bucket is fresh
    const env = { API_KEYS: key }
    const ip = randomIp()
    expect(await burst(limit, { 'CF-Connecting-IP': ip, 'X-Api-Key': key }, env)).toEqual(
      Array(limit).fill(200),
    )

    // the key's bucket is spent, whatever IP it comes from…
    const moved = await callWith(
      '/v1/model',
      { headers: { 'CF-Connecting-IP': randomIp(), 'X-Api-Key': key } },
      env,
    )
    expect(moved.status).toBe(429)
    // …while the IP's own bucket is untouched: a wrong key is counted there, and refused as 401
    const wrong = await callWith(
      '/v1/model',
      { headers: { 'CF-Connecting-IP': ip, 'X-Api-Key': 'x'.repeat(20) } },
      env,
    )
    expect(wrong.status).toBe(401)
  })

  it('counts failed key guesses against the IP: guessing is rate limited too', async () => {
    await startOfWindow()
    const env = { API_KEYS: crypto.randomUUID() }
    const headers = { 'CF-Connecting-IP': randomIp(), 'X-Api-Key': crypto.randomUUID() }
    const statuses = await burst(limit + 1, headers, env)
    expect(statuses.slice(0, limit)).toEqual(Array(limit).fill(401))
    expect(statuses[limit]).toBe(429)
  })
})
