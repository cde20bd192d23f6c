import { z } from '@hono/zod-openapi'
import { modelCardSchema } from '@whisker/model-core'
import { PROBLEM_CODES } from './errors.ts'

/**
 * The API's shapes, in zod: the routes are typed by them and /openapi.json is generated from them, so the
 * document client teams generate code from cannot drift from what the Worker sends.
 */

const TOP_K_MESSAGE = '`topK` must be a positive integer.'

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
})

export const PredictionSchema = z
  .object({
    label: z.string().openapi({ example: 'cat' }),
    score: z.number().min(0).max(1).openapi({ description: 'Probability in [0, 1].', example: 0.97 }),
  })
  .openapi('Prediction')

export const ClassificationSchema = z
  .object({
    label: z.string().openapi({ description: 'The most likely label.', example: 'cat' }),
    confidence: z.number().min(0).max(1).openapi({ description: 'Its probability.', example: 0.97 }),
    predictions: z.array(PredictionSchema).openapi({ description: 'Highest score first; `topK` of them.' }),
    model: z
      .object({
        id: z.string().openapi({ description: "The model card's `name`.", example: 'whisker-cat-dog' }),
        version: z.string().openapi({
          description: 'Content hash of the model graph and weights.',
          example: '293288714127807f',
        }),
      })
      .openapi('ModelRef'),
    cached: z.boolean().openapi({
      description: 'Answered from the cache: the same bytes were classified before by this model version.',
    }),
    timing: z
      .object({
        decodeMs: z.number().openapi({ description: 'Decoding the image (0 when cached).' }),
        classifyMs: z.number().openapi({ description: 'Resize and inference (0 when cached).' }),
      })
      .openapi({
        description:
          'Time spent on this image by this request. Deployed Workers only advance timers across I/O, so these read 0 there.',
      }),
  })
  .openapi('Classification')

/** Multipart requests get one Classification per `image` field, in field order. */
export const ClassificationBatchSchema = z.array(ClassificationSchema).openapi('ClassificationBatch')

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:whisker:problem:unsupported-type' }),
    title: z.string().openapi({ example: 'Unsupported image type' }),
    status: z.number().int().openapi({ example: 415 }),
    detail: z.string().openapi({ description: 'For people; program against `code`.' }),
    code: z.enum(PROBLEM_CODES),
    requestId: z
      .string()
      .openapi({ description: 'Also in `X-Request-Id`; quote it when reporting a problem.' }),
    index: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Which image of a multipart batch (0-based).' }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details (`application/problem+json`).' })

export const ModelCardSchema = modelCardSchema.openapi('ModelCard')

export const HealthSchema = z
  .object({
    ok: z.literal(true),
    model: z.string().openapi({ description: 'The model version being served.' }),
    backend: z.enum(['wasm', 'cpu']).openapi({ description: 'The tfjs backend (cpu only if wasm failed).' }),
  })
  .openapi('Health')

/** A problem+json response of the given status, for a route's `responses`. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
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
