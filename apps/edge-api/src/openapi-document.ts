import { OpenAPIHono } from '@hono/zod-openapi'
import { componentSchemas } from '@whisker/api-contract'
import { API_ROUTES } from './contract.ts'

export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>
type Registry = OpenAPIHono['openAPIRegistry']
type DocumentObject = Parameters<OpenAPIHono['getOpenAPI31Document']>[0]

/**
 * The repository carries no open-source licence, so the API is offered on its operator's terms. `identifier`
 * is OpenAPI 3.1's SPDX field (a `LicenseRef-` names a licence SPDX does not list); @hono/zod-openapi's
 * config type predates it, hence a constant rather than a literal.
 */
const LICENSE = { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' }

/**
 * The OpenAPI 3.1 document's own parts (info, servers): one place for both the document
 * the Worker serves and the one Node builds for the linter and the generated client (scripts/openapi.ts).
 */
const DOCUMENT_OBJECT: DocumentObject = {
  openapi: '3.1.0',
  info: {
    title: 'Whisker API',
    version: '1.0.0',
    description:
      'Classifies photos with a small model at the edge. Errors are RFC 9457 application/problem+json; ' +
      'program against `code`. Guide with examples: docs/api.md in the repository.',
    license: LICENSE,
  },
  // Relative: the API is served from the same origin as this document, whichever deployment that is.
  servers: [{ url: '/', description: 'The origin that serves this document' }],
}

/**
 * The document's components: the answers' schemas, from @whisker/api-contract (the routes refer to them by
 * name), and the API key, as two schemes: the same key as a bearer token or in an `X-Api-Key` header
 * (api-keys.ts).
 */
export function registerComponents(registry: Registry): void {
  for (const [id, schema] of Object.entries(componentSchemas())) {
    registry.registerComponent('schemas', id, schema)
  }
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'Only when the deployment sets API_KEYS; otherwise the API is open.',
  })
  registry.registerComponent('securitySchemes', 'apiKeyHeader', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description: 'The same key as bearerAuth, in a header of its own.',
  })
}

/** The document of an app whose routes (and components) are registered. */
export function documentOf(app: Pick<OpenAPIHono, 'getOpenAPI31Document'>): OpenApiDocument {
  return app.getOpenAPI31Document(DOCUMENT_OBJECT)
}

/**
 * The document built from the contract alone (no handlers, no Worker runtime): what Node lints and
 * generates client types from. openapi.test.ts checks it equals what the Worker serves.
 */
export function contractDocument(): OpenApiDocument {
  const app = new OpenAPIHono()
  for (const route of API_ROUTES) app.openAPIRegistry.registerPath(route)
  registerComponents(app.openAPIRegistry)
  return documentOf(app)
}
