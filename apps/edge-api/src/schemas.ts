import { z } from '@hono/zod-openapi'
import { componentRef } from '@whisker/api-contract'

/**
 * What the Worker alone reads: the query parameters, and the pieces its routes' contract is built of. The
 * answers' shapes are @whisker/api-contract's, shared with the page.
 */

const TOP_K_MESSAGE = '`topK` must be a positive integer.'

const EXPLAIN_MESSAGE = '`explain` must be 1 or 0 (or true or false).'

export const ExplainQuerySchema = z
  .enum(['1', '0', 'true', 'false'], { error: EXPLAIN_MESSAGE })
  .optional()
  .openapi({
    param: { name: 'explain', in: 'query' },
    description:
      'With 1, each answer also says where the model looked for its label: a heatmap grid and a PNG to lay over the photo (Grad-CAM or CAM, as the model card says). A few milliseconds and about 10 kB more per image.',
    example: '1',
  })

/** `?explain=…` as a boolean. */
export const wantsExplain = (value: string | undefined): boolean => value === '1' || value === 'true'

export const ClassifyQuerySchema = z.object({
  topK: z.coerce
    .number({ error: TOP_K_MESSAGE })
    .int(TOP_K_MESSAGE)
    .min(1, TOP_K_MESSAGE)
    .optional()
    .openapi({
      param: { name: 'topK', in: 'query' },
      description: 'How many predictions to return, best first (default: every class; more is capped).',
      example: 3,
    }),
  explain: ExplainQuerySchema,
})

/** A problem+json response of the given status, for a route's `responses`. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: componentRef('Problem') } } },
})

/**
 * OpenAPI `security` of the /v1 routes: a bearer token or an X-Api-Key header, or nothing (`{}`), since
 * keys are only required where a deployment sets API_KEYS. Declared with its type: inferred inline, the
 * empty object and arrays make @hono/zod-openapi lose the route's input types.
 */
export const OPTIONAL_API_KEY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }, {}]

export const REQUEST_ID_HEADER = {
  'X-Request-Id': {
    description: 'Unique per response; also in problem bodies and our logs.',
    schema: { type: 'string' },
  },
} as const
