import { OpenAPIHono } from '@hono/zod-openapi'
import type { Classifier } from '@whisker/model-core'
import type { AppEnv } from './env.ts'
import { ClientProblem } from './errors.ts'
import type { BackendName } from './tfjs.ts'

/** What the routes need from outside: the bundled model in the Worker, something smaller in a test. */
export interface RouteDeps {
  /** The classifier, loaded once per isolate and shared by its requests. */
  getClassifier(): Promise<Classifier>
  /** The tfjs backend in use (initialising it on first call). */
  backend(): Promise<BackendName>
}

/**
 * An OpenAPIHono for a group of routes. A request that fails its route's zod schema (only query strings
 * are validated that way; bodies are read by hand under the byte limit) becomes a 400 INVALID_QUERY
 * problem instead of @hono/zod-openapi's default zod error JSON.
 */
export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const detail = [...new Set(result.error.issues.map((issue) => issue.message))].join(' ')
        throw new ClientProblem(400, 'INVALID_QUERY', 'Invalid query parameter', detail)
      }
    },
  })
}
