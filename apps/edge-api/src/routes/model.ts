import { createRoute } from '@hono/zod-openapi'
import { etag } from 'hono/etag'
import { newRouter, type RouteDeps } from '../router.ts'
import { ModelCardSchema, OPTIONAL_API_KEY, problem, REQUEST_ID_HEADER } from '../schemas.ts'

export const modelRoute = createRoute({
  method: 'get',
  path: '/v1/model',
  summary: 'The model card of the model being served',
  description:
    'Labels, input size, metrics and `version`. Sent with an ETag: revalidate with If-None-Match for a 304.',
  security: OPTIONAL_API_KEY,
  // Every client asks for this on start-up; a 304 costs no body and no JSON parse.
  middleware: [etag()] as const,
  responses: {
    200: {
      description: 'The model card.',
      headers: { ...REQUEST_ID_HEADER, ETag: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: ModelCardSchema } },
    },
    304: { description: 'Not modified: the If-None-Match ETag is current.' },
    401: problem('UNAUTHORIZED'),
    429: problem('RATE_LIMITED'),
  },
})

export function modelRoutes({ getClassifier }: RouteDeps) {
  return newRouter().openapi(modelRoute, async (c) => {
    const { card } = await getClassifier()
    // Clients may keep it, but must ask again (cheaply, with the ETag) before trusting it.
    c.header('Cache-Control', 'no-cache')
    return c.json(card, 200)
  })
}
