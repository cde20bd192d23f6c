import { DEFAULT_MAX_BODY_BYTES } from '@whisker/api-contract'
import { z } from 'zod'

/** Prefix of RFC 9457 problem `type`s: a stable name for each error code, not a page to fetch. */
export const PROBLEM_TYPE_BASE = 'urn:whisker:problem:'

const MiB = 1024 * 1024

/** What the Worker reads from its environment: wrangler.jsonc `vars`, the `API_KEYS` secret, bindings. */
export type RawEnv = Partial<
  Record<'MAX_BODY_BYTES' | 'CORS_ORIGINS' | 'API_KEYS' | 'RATE_LIMIT_PERIOD', unknown>
> & {
  readonly RATE_LIMITER?: unknown
}

export interface Config {
  /** The whole request body, counted while it streams (a multipart batch shares it). */
  readonly maxBodyBytes: number
  /** Origins allowed to call the API from a browser; `'*'` for any. Empty: same-origin only. */
  readonly corsOrigins: '*' | readonly string[]
  /** Accepted API keys. Empty: the API is open. */
  readonly apiKeys: readonly string[]
  /** The rate limiter's window in seconds, sent as Retry-After; must match wrangler.jsonc `ratelimits`. */
  readonly rateLimitPeriod: 10 | 60
  readonly rateLimiter: RateLimit
}

/** A comma-separated var: items trimmed, empty items dropped, so `""` and `" , "` mean none. */
const commaList = z
  .string()
  .optional()
  .transform((raw) => (raw ?? '').split(',').flatMap((item) => (item.trim() === '' ? [] : [item.trim()])))

/** `scheme://host[:port]`, exactly as a browser sends it in `Origin` (no path, no trailing slash), or `*`. */
const origin = z
  .string()
  .refine((value) => value === '*' || (URL.canParse(value) && new URL(value).origin === value), {
    error: (issue) => `${JSON.stringify(issue.input)} is not an origin like https://app.example.com`,
  })

const schema = z.object({
  MAX_BODY_BYTES: z
    .string()
    .regex(/^\d+$/, 'must be a whole number of bytes, e.g. 10485760')
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1024, 'must be at least 1024')
        .max(100 * MiB, 'must be at most 104857600 (the Workers request body limit)'),
    )
    .default(DEFAULT_MAX_BODY_BYTES),
  CORS_ORIGINS: commaList
    .pipe(z.array(origin))
    .refine(
      (origins) => !origins.includes('*') || origins.length === 1,
      '"*" cannot be combined with origins',
    )
    .transform((origins) => (origins.includes('*') ? ('*' as const) : origins)),
  API_KEYS: commaList.pipe(
    z.array(
      z
        .string()
        .min(16, 'each key must be at least 16 characters (generate one with `openssl rand -hex 24`)')
        .regex(/^[\x21-\x7e]+$/, 'keys are printable ASCII without spaces'),
    ),
  ),
  RATE_LIMIT_PERIOD: z
    .enum(['10', '60'], { error: 'must be "10" or "60", the period of the ratelimits binding' })
    .transform((period) => (period === '10' ? 10 : 60)),
  RATE_LIMITER: z.custom<RateLimit>(
    (value) => typeof (value as Partial<RateLimit> | undefined)?.limit === 'function',
    'missing: declare the `ratelimits` binding in wrangler.jsonc and run with --env dev or --env production',
  ),
})

/** The Worker's configuration is invalid; the message names every bad variable and why. */
export class ConfigError extends Error {
  constructor(issues: string) {
    super(`Invalid Worker configuration (wrangler.jsonc vars, secrets, bindings):\n${issues}`)
    this.name = 'ConfigError'
  }
}

/** Validates the environment into a typed Config, or throws a ConfigError listing every problem. */
export function parseConfig(env: RawEnv): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n'),
    )
  }
  const { MAX_BODY_BYTES, CORS_ORIGINS, API_KEYS, RATE_LIMIT_PERIOD, RATE_LIMITER } = parsed.data
  return {
    maxBodyBytes: MAX_BODY_BYTES,
    corsOrigins: CORS_ORIGINS,
    apiKeys: API_KEYS,
    rateLimitPeriod: RATE_LIMIT_PERIOD,
    rateLimiter: RATE_LIMITER,
  }
}

const parsedConfigs = new WeakMap<object, Config>()

/** parseConfig, once per env object: workerd hands every request of an isolate the same `env`. */
export function configOf(env: RawEnv): Config {
  let config = parsedConfigs.get(env)
  if (!config) {
    config = parseConfig(env)
    parsedConfigs.set(env, config)
  }
  return config
}
