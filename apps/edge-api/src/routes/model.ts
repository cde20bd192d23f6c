import type { ModelCard } from '@whisker/api-contract'
import { etag } from 'hono/etag'
import { modelRoute } from '../contract.ts'
import { newRouter, type RouteDeps } from '../router.ts'

export function modelRoutes({ getClassifier }: RouteDeps) {
  // Every client asks for this on start-up; with the ETag, a 304 costs no body and no JSON parse.
  return newRouter().openapi({ ...modelRoute, middleware: [etag()] as const }, async (c) => {
    const { card } = await getClassifier()
    // Clients may keep it, but must ask again (cheaply, with the ETag) before trusting it.
    c.header('Cache-Control', 'no-cache')
    return c.json(card satisfies ModelCard, 200)
  })
}
