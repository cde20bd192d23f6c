import type { Health } from '@whisker/api-contract'
import { healthRoute } from '../contract.ts'
import { newRouter, type RouteDeps } from '../router.ts'

/** Healthy means the bundled model loads and a tfjs backend is running; `backend` shows which. */
export function healthRoutes({ getClassifier, backend }: RouteDeps) {
  return newRouter().openapi(healthRoute, async (c) => {
    const [{ card }, name] = await Promise.all([getClassifier(), backend()])
    return c.json({ ok: true, model: card.version, backend: name } satisfies Health, 200)
  })
}
