import type { TimingVariables } from 'hono/timing'
import type { Config } from './config.ts'

/** Who is calling, for the rate limiter: a verified API key when keys are configured, else the client IP. */
export interface Caller {
  /** The rate-limit bucket: `key:<hash prefix>` or `ip:<address>`; never the key itself. */
  readonly id: string
  /** A configured API key was presented and matched. */
  readonly authenticated: boolean
}

/** Hono's type parameters for this app: the Worker's bindings and the per-request variables. */
export interface AppEnv {
  /** `API_KEYS` is an optional secret, so `wrangler types` (which reads only wrangler.jsonc) leaves it out. */
  Bindings: Env & { readonly API_KEYS?: string }
  Variables: TimingVariables & {
    /** Also sent as `X-Request-Id`, and in every problem body and log line. */
    requestId: string
    /** Validated from the bindings by middleware/config.ts. */
    config: Config
    caller: Caller
  }
}
