import type { Context } from 'hono'
import { timing } from 'hono/timing'
import type { AppEnv } from '../env.ts'
import { allowedOrigin } from './cors.ts'

/**
 * `Server-Timing` on every response (`total`, plus the stages a route reports with setMetric), readable by
 * pages on the allowed origins too (`Timing-Allow-Origin`). Deployed, Workers timers only advance across
 * I/O, so CPU-only stages (decode, classify) read 0 there; under `wrangler dev` they are real.
 */
export const serverTiming = timing({
  totalDescription: 'in the Worker',
  crossOrigin: (c: Context<AppEnv>) => allowedOrigin(c.get('config'), c.req.header('Origin')) ?? false,
})
