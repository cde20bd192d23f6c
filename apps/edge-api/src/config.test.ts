import { env } from 'cloudflare:workers'
import { describe, expect, inject, it } from 'vitest'
import { callWith, fromBase64, problemOf } from '../test/client.ts'
import { ConfigError, parseConfig, type RawEnv } from './config.ts'

const binding = env.RATE_LIMITER
const valid: RawEnv = { RATE_LIMITER: binding, RATE_LIMIT_PERIOD: '10' }

/** The ConfigError message parseConfig throws for `raw`. */
function errorFor(raw: RawEnv): string {
  try {
    parseConfig(raw)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  throw new Error('expected a ConfigError')
}

describe('configuration: typed, validated at start', () => {
  it('parses the dev environment of wrangler.jsonc', () => {
    expect(parseConfig(env)).toEqual({
      maxBodyBytes: 10 * 1024 * 1024,
      corsOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
      apiKeys: [],
      rateLimitPeriod: inject('rateLimit').period,
      rateLimiter: binding,
    })
  })

  it('has defaults: 10 MiB, same-origin only, no keys', () => {
    expect(parseConfig(valid)).toMatchObject({ maxBodyBytes: 10_485_760, corsOrigins: [], apiKeys: [] })
  })

  it('reads comma-separated lists, trimming spaces and empty items', () => {
    const config = parseConfig({
      ...valid,
      CORS_ORIGINS: ' https://a.example , https://b.example:8443,',
      API_KEYS: `${'k'.repeat(16)},, ${'q'.repeat(20)}`,
    })
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example:8443'])
    expect(config.apiKeys).toEqual(['k'.repeat(16), 'q'.repeat(20)])
  })

  it('names each bad variable and says what it should be', () => {
    const message = errorFor({
      MAX_BODY_BYTES: '10MB',
      CORS_ORIGINS: 'https://app.example/path',
      API_KEYS: 'short',
      RATE_LIMIT_PERIOD: '30',
    })
    expect(message).toContain('MAX_BODY_BYTES: must be a whole number of bytes')
    expect(message).toContain('CORS_ORIGINS.0: "https://app.example/path" is not an origin')
    expect(message).toContain('API_KEYS.0: each key must be at least 16 characters')
    expect(message).toContain('RATE_LIMIT_PERIOD: must be "10" or "60"')
    expect(message).toContain('RATE_LIMITER: missing: declare the `ratelimits` binding')
  })

  it('refuses limits outside what Workers can take, and "*" mixed with origins', () => {
    expect(errorFor({ ...valid, MAX_BODY_BYTES: '0' })).toContain('at least 1024')
    expect(errorFor({ ...valid, MAX_BODY_BYTES: String(200 * 1024 * 1024) })).toContain('at most')
    expect(errorFor({ ...valid, CORS_ORIGINS: '*,https://a.example' })).toContain('"*" cannot be combined')
    expect(parseConfig({ ...valid, CORS_ORIGINS: '*' }).corsOrigins).toBe('*')
  })

  it('MAX_BODY_BYTES sets the upload limit, for raw and streamed bodies', async () => {
    const photo = fromBase64(inject('validationPhotos')[0]!.base64) // about 20-30 KB
    const limit = { MAX_BODY_BYTES: String(photo.length - 1) }
    const raw = await callWith('/v1/classify', { method: 'POST', body: photo }, limit)
    expect(raw.status).toBe(413)
    expect((await problemOf(raw)).detail).toContain(String(photo.length - 1))

    const stream = new Blob([photo]).stream() // no Content-Length: counted while it streams
    const streamed = await callWith(
      '/v1/classify',
      { method: 'POST', body: stream, duplex: 'half' } as RequestInit,
      limit,
    )
    expect(streamed.status).toBe(413)

    const fits = await callWith(
      '/v1/classify',
      { method: 'POST', body: photo },
      { MAX_BODY_BYTES: String(photo.length) },
    )
    expect(fits.status).toBe(200)
  })
})
