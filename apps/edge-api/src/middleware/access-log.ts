import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'

/** One access-log line: what Workers Logs (observability) indexes and a person greps by requestId. */
export interface AccessLogLine {
  level: 'info'
  msg: 'request'
  requestId: string
  method: string
  /** Without the query string: nothing a client sends there belongs in our logs. */
  path: string
  status: number
  /** Wall time in the Worker. Deployed, timers only advance across I/O (a Workers security measure). */
  ms: number
  /** `X-Whisker-Cache` of a classify answer: hit, miss, partial or bypass. */
  cache?: string
}

/** Logs one JSON line per request, after the response (errors included) is final. */
export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now()
  await next()
  const line: AccessLogLine = {
    level: 'info',
    msg: 'request',
    requestId: c.get('requestId'),
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Math.round((performance.now() - started) * 10) / 10,
  }
  const cache = c.res.headers.get('X-Whisker-Cache')
  if (cache) line.cache = cache
  console.log(JSON.stringify(line))
})
