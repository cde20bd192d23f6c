import type { Context } from 'hono'
import { cors as honoCors } from 'hono/cors'
import type { Config } from '../config.ts'
import type { AppEnv } from '../env.ts'

/** Headers a browser page on another origin may read: the ones docs/api.md tells clients to use. */
export const EXPOSED_HEADERS = ['X-Request-Id', 'Server-Timing', 'Retry-After', 'X-Whisker-Cache', 'ETag']

/** The allowed `Origin` to echo back, or null: CORS_ORIGINS is an exact allow-list (or `*`). */
export function allowedOrigin(config: Config, origin: string | undefined): string | null {
  if (!origin) return null
  if (config.corsOrigins === '*') return '*'
  return config.corsOrigins.includes(origin) ? origin : null
}

/**
 * CORS for the API, from the `CORS_ORIGINS` allow-list. Preflights are answered here, before the API key
 * and rate limiter see them: a preflight carries no credentials and must not use up a client's quota.
 */
export const cors = honoCors({
  origin: (origin, c: Context<AppEnv>) => allowedOrigin(c.get('config'), origin),
  allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
  allowHeaders: ['Content-Type', 'Authorization', 'X-Api-Key', 'Cache-Control', 'If-None-Match'],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 600,
})
