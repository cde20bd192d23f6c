/** Hono's type parameters for this app: the Worker's bindings and the per-request variables. */
export interface AppEnv {
  Bindings: Env
  Variables: {
    /** Also sent as `X-Request-Id`, and in every problem body and error log line. */
    requestId: string
  }
}
