import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { ClientProblem } from '../errors.ts'

/**
 * Counts each API request against the caller's bucket in Workers' rate-limiting binding (`ratelimits` in
 * wrangler.jsonc). Over the limit: 429 with `Retry-After` set to the binding's period, the longest a client
 * can need to wait. Runs before the key check, so guessing keys is rate limited too.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const { rateLimiter, rateLimitPeriod } = c.get('config')
  const { success } = await rateLimiter.limit({ key: c.get('caller').id })
  if (!success) {
    throw new ClientProblem(
      429,
      'RATE_LIMITED',
      'Too many requests',
      `Too many requests from this client; retry after ${rateLimitPeriod} seconds.`,
      { 'Retry-After': String(rateLimitPeriod) },
    )
  }
  await next()
})
