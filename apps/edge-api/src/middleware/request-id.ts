import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'

/**
 * Gives every request a fresh id and returns it as `X-Request-Id`, so a client can quote it and we can
 * find the matching log line. Unlike hono/request-id, an incoming `X-Request-Id` is not reused: the id keys
 * our logs, and a client must not be able to choose or collide it. The header is set after the handler,
 * because some responses are built from scratch downstream (a 304 from hono/etag, a static asset).
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = crypto.randomUUID()
  c.set('requestId', id)
  await next()
  c.res.headers.set('X-Request-Id', id)
})
