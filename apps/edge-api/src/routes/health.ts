import { createRoute } from '@hono/zod-openapi'
import { newRouter, type RouteDeps } from '../router.ts'
import { HealthSchema } from '../schemas.ts'

export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness: the model loads and a tfjs backend runs',
  responses: {
    200: { description: 'Healthy.', content: { 'application/json': { schema: HealthSchema } } },
  },
})

/** Healthy means the bundled model loads and a tfjs backend is running; `backend` shows which. */
export function healthRoutes({ getClassifier, backend }: RouteDeps) {
  return newRouter().openapi(healthRoute, async (c) => {
    const [{ card }, name] = await Promise.all([getClassifier(), backend()])
    return c.json({ ok: true as const, model: card.version, backend: name }, 200)
  })
}
