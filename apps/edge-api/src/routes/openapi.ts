import type { OpenAPIHono } from '@hono/zod-openapi'
import { etag } from 'hono/etag'
import type { AppEnv } from '../env.ts'
import { documentOf, type OpenApiDocument, registerComponents } from '../openapi-document.ts'

/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated from the routes the app mounts, for client
 * generators (openapi-typescript, swift-openapi-generator, openapi-generator for Kotlin, …). Built on first
 * request and kept: the routes cannot change while the isolate lives.
 */
export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  registerComponents(app.openAPIRegistry)
  let document: OpenApiDocument | undefined
  app.get('/openapi.json', etag(), (c) => {
    document ??= documentOf(app)
    c.header('Cache-Control', 'no-cache')
    return c.json(document)
  })
}
