import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env.ts'
import { methodNotAllowed, onError, onNotFound } from './errors.ts'
import { accessLog } from './middleware/access-log.ts'
import { requireApiKey } from './middleware/api-key.ts'
import { identifyCaller } from './middleware/caller.ts'
import { loadConfig } from './middleware/config.ts'
import { cors } from './middleware/cors.ts'
import { rateLimit } from './middleware/rate-limit.ts'
import { requestId } from './middleware/request-id.ts'
import { securityHeaders } from './middleware/security-headers.ts'
import { serverTiming } from './middleware/server-timing.ts'
import type { RouteDeps } from './router.ts'
import { serveAsset } from './routes/assets.ts'
import { classifyRoutes } from './routes/classify.ts'
import { healthRoutes } from './routes/health.ts'
import { modelRoutes } from './routes/model.ts'
import { serveOpenApi } from './routes/openapi.ts'

export type { Classification as ClassifyResponse } from '@whisker/api-contract'

/**
 * The Worker's app. Middleware order matters: the request id comes first so every response and log line
 * has one; the access log wraps everything so it sees the final status; config is loaded before anything
 * reads it; CORS answers preflights before the key check and the rate limiter, which guard /v1/* only
 * (health, the OpenAPI document and the page stay public).
 */
export function createApp(deps: RouteDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>()
  app.onError(onError)
  app.notFound(onNotFound)

  app.use(requestId)
  app.use(accessLog)
  app.use(securityHeaders)
  app.use(loadConfig)
  app.use(serverTiming)
  app.use('/v1/*', cors)
  app.use('/openapi.json', cors)
  app.use('/v1/*', identifyCaller)
  app.use('/v1/*', rateLimit)
  app.use('/v1/*', requireApiKey)

  app.route('/', classifyRoutes(deps))
  app.route('/', modelRoutes(deps))
  app.route('/', healthRoutes(deps))
  serveOpenApi(app)
  app.all('/v1/classify', methodNotAllowed('POST'))
  app.all('/v1/model', methodNotAllowed('GET, HEAD'))
  app.on(['GET', 'HEAD'], '*', serveAsset)
  return app
}
