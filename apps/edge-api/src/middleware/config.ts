import { createMiddleware } from 'hono/factory'
import { configOf } from '../config.ts'
import type { AppEnv } from '../env.ts'

/**
 * Puts the validated Config in `c.var.config`. src/index.ts already validated the deployed environment at
 * startup; this parses (once per env object) whatever env the request came with, so tests can pass their own.
 */
export const loadConfig = createMiddleware<AppEnv>(async (c, next) => {
  c.set('config', configOf(c.env))
  await next()
})
