import { z } from '@hono/zod-openapi'
import { modelCardSchema } from '@whisker/model-core'
import { PROBLEM_CODES } from './problem-codes.ts'

/**
 * The API's shapes, in zod: the routes are typed by them and /openapi.json is generated from them, so the
 * document client teams generate code from cannot drift from what the Worker sends.
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

export const ExplanationSchema = z
  .object({
    method: z.enum(['grad-cam', 'cam']).openapi({
      description:
        '`grad-cam`: Grad-CAM (gradient-weighted class activation map); `cam`: class activation map, where the head is global pooling plus one linear layer. From the model card.',
    }),
    label: z.string().openapi({ description: 'The class explained: the answer’s `label`.', example: 'cat' }),
    grid: z.array(z.array(z.number().min(0).max(1))).openapi({
      description:
        'The heatmap, rows top first (7 × 7 for the default model): how much each region of `region` counted for `label`, 1 the most, 3 decimals.',
      example: [
        [0, 0.1, 0.3],
        [0.2, 1, 0.6],
        [0, 0.4, 0.2],
      ],
    }),
    png: z.string().startsWith('data:image/png;base64,').openapi({
      description:
        'The same, smoothed and coloured (indigo cold to red hot, more opaque where hotter), as a 56 × 56 RGBA PNG data URL: stretch it over `region`.',
    }),
    region: z
      .object({
        x: z.number().int().min(0),
        y: z.number().int().min(0),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
      })
      .openapi({
        description:
          'The part of the photo the model saw, which the heatmap covers, in pixels of the photo as decoded and turned upright (EXIF): the centred square for the default model.',
      }),
  })
  .openapi('Explanation')

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
    explain: ExplanationSchema.optional().openapi({
      description: 'With `?explain=1`: where the model looked for its label.',
    }),
    timing: z
      .object({
        decodeMs: z.number().openapi({ description: 'Decoding the image (0 when cached).' }),
        classifyMs: z.number().openapi({ description: 'Resize and inference (0 when cached).' }),
        explainMs: z
          .number()
          .optional()
          .openapi({ description: 'With `?explain=1`: the heatmap and its PNG (0 when cached).' }),
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
