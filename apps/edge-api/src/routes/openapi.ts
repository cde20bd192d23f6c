import type { OpenAPIHono } from '@hono/zod-openapi'
import { etag } from 'hono/etag'
import type { AppEnv } from '../env.ts'

type Document = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>

/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated from the routes' zod schemas, for client
 * generators (swift-openapi-generator, openapi-generator for Kotlin, …). Built on first request and kept:
 * the routes cannot change while the isolate lives.
 */
export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'Only when the deployment sets API_KEYS; otherwise the API is open.',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyHeader', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description: 'The same key as bearerAuth, in a header of its own.',
  })
  let document: Document | undefined
  app.get('/openapi.json', etag(), (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Whisker API',
        version: '1.0.0',
        description:
          'Classifies photos with a small model at the edge. Errors are RFC 9457 application/problem+json; ' +
          'program against `code`. Guide with examples: docs/api.md in the repository.',
      },
    })
    c.header('Cache-Control', 'no-cache')
    return c.json(document)
  })
}
