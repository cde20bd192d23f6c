import { describe, expect, inject, it } from 'vitest'
import { callWith, fromBase64, problemOf } from '../test/client.ts'
import { matchApiKey, presentedKey } from './api-keys.ts'

const KEY_A = 'a3f1c9e07b5d42e8a3f1c9e07b5d42e8'
const KEY_B = 'Zq8-uW2_pL9xR4tY6vN1mK3jH5gF7dSa'
const keys = { API_KEYS: ` ${KEY_A}, ${KEY_B} ` } // the secret, comma-separated; spaces are trimmed
const photo = fromBase64(inject('validationPhotos')[0]!.base64)

describe('API keys (the API_KEYS secret)', () => {
  it('without keys configured, the API is open (the dev environment sets none)', async () => {
    expect((await callWith('/v1/model')).status).toBe(200)
  })

  it('with keys configured, a request without one is 401 UNAUTHORIZED with WWW-Authenticate', async () => {
    const res = await callWith('/v1/model', {}, keys)
    expect(res.status).toBe(401)
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="whisker"')
    const problem = await problemOf(res)
    expect(problem).toMatchObject({ code: 'UNAUTHORIZED', requestId: res.headers.get('X-Request-Id') })
    expect(problem.detail).toContain('Authorization: Bearer')
  })

  it('accepts any configured key, as `Authorization: Bearer` or as `X-Api-Key`', async () => {
    const good: Record<string, string>[] = [
      { Authorization: `Bearer ${KEY_A}` },
      { Authorization: `bearer ${KEY_B}` },
      { 'X-Api-Key': KEY_A },
      { 'X-Api-Key': KEY_B },
    ]
    for (const headers of good) {
      expect((await callWith('/v1/model', { headers }, keys)).status, JSON.stringify(headers)).toBe(200)
    }
    const classify = await callWith(
      '/v1/classify',
      { method: 'POST', body: photo, headers: { 'X-Api-Key': KEY_A } },
      keys,
    )
    expect(classify.status).toBe(200)
  })

  it('refuses a wrong key, a prefix of a key, a key with a byte more, and the wrong scheme', async () => {
    const bad: Record<string, string>[] = [
      { Authorization: 'Bearer wrong-key-wrong-key-wrong-key' },
      { Authorization: `Bearer ${KEY_A.slice(0, -1)}` },
      { Authorization: `Bearer ${KEY_A}0` },
      { Authorization: `Basic ${btoa(`user:${KEY_A}`)}` },
      { 'X-Api-Key': KEY_A.toUpperCase() },
    ]
    for (const headers of bad) {
      const res = await callWith('/v1/model', { headers }, keys)
      expect(res.status, JSON.stringify(headers)).toBe(401)
    }
  })

  it('keeps health, the OpenAPI document and the page public', async () => {
    for (const path of ['/healthz', '/openapi.json', '/']) {
      expect((await callWith(path, {}, keys)).status, path).toBe(200)
    }
  })
})

describe('matchApiKey', () => {
  it('returns a loggable id (hash prefix, never the key) of the matching key, else undefined', async () => {
    const id = await matchApiKey(KEY_B, [KEY_A, KEY_B])
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(id).not.toContain(KEY_B.slice(0, 8))
    expect(await matchApiKey(KEY_B, [KEY_B])).toBe(id) // stable: it keys the rate limiter
    expect(await matchApiKey(KEY_A, [KEY_B])).toBeUndefined()
    expect(await matchApiKey('', [KEY_A])).toBeUndefined()
  })

  it('reads Bearer first, then X-Api-Key', () => {
    expect(presentedKey(new Headers({ Authorization: 'Bearer one', 'X-Api-Key': 'two' }))).toBe('one')
    expect(presentedKey(new Headers({ 'X-Api-Key': ' two ' }))).toBe('two')
    expect(presentedKey(new Headers({ Authorization: 'Basic abc' }))).toBeUndefined()
    expect(presentedKey(new Headers())).toBeUndefined()
  })
})
