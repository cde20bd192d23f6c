import { createMiddleware } from 'hono/factory'
import { matchApiKey, presentedKey } from '../api-keys.ts'
import type { AppEnv } from '../env.ts'

/**
 * Works out who is calling, for the rate limiter and the key check that follow. Only a *verified* key picks
 * the rate-limit bucket: were any presented key enough, a client could mint a fresh bucket per request.
 * Everyone else, bad keys included, is counted by IP (`CF-Connecting-IP`, set by Cloudflare's edge).
 */
export const identifyCaller = createMiddleware<AppEnv>(async (c, next) => {
  const { apiKeys } = c.get('config')
  const presented = presentedKey(c.req.raw.headers)
  const keyId = apiKeys.length > 0 && presented ? await matchApiKey(presented, apiKeys) : undefined
  c.set(
    'caller',
    keyId
      ? { id: `key:${keyId}`, authenticated: true }
      : { id: `ip:${c.req.header('CF-Connecting-IP') ?? 'unknown'}`, authenticated: false },
  )
  await next()
})
