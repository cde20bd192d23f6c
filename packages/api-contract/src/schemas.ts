import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi'
// The card's own entry: the package's main one brings tfjs, which the page's first download must not carry.
import { modelCardSchema } from '@whisker/model-core/card'
import { z } from 'zod'
import { HEATMAP_PNG_SIZE } from './limits.ts'
import { PROBLEM_CODES } from './problems.ts'

/**
 * The shapes of the API's answers, in zod. The Worker's routes are typed by them and its /openapi.json is
 * generated from them; the page validates what it receives with them and reads the types inferred from
 * them. A field renamed here fails the Worker's handlers and the page's code at typecheck, not in use.
 *
 * `.openapi(…)` (zod-to-openapi, the library @hono/zod-openapi builds on) names each component and gives
 * its description and example; it only records metadata, so the page parses with the same schemas.
 */
extendZodWithOpenApi(z)

export const ExplanationSchema = z
  .object({
    method: z.enum(['grad-cam', 'cam']).openapi({
      description:
        '`grad-cam`: Grad-CAM (gradient-weighted class activation map); `cam`: class activation map, where the head is global pooling plus one linear layer. From the model card.',
    }),
    label: z
      .string()
      .min(1)
      .openapi({ description: 'The class explained: the answer’s `label`.', example: 'cat' }),
    grid: z.array(z.array(z.number().min(0).max(1))).openapi({
      description:
        'The heatmap, rows top first (7 × 7 for the default model): how much each region of `region` counted for `label`, 1 the most, 3 decimals.',
      example: [
        [0, 0.1, 0.3],
        [0.2, 1, 0.6],
        [0, 0.4, 0.2],
      ],
    }),
    // Base64 only, so a page can put it in an `img` as it is: nothing in it can be markup or script.
    png: z
      .string()
      .regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/)
      .openapi({
        description: `The same, smoothed and coloured (indigo cold to red hot, more opaque where hotter), as a ${HEATMAP_PNG_SIZE} × ${HEATMAP_PNG_SIZE} RGBA PNG data URL: stretch it over \`region\`.`,
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
    label: z.string().min(1).openapi({ example: 'cat' }),
    score: z.number().min(0).max(1).openapi({ description: 'Probability in [0, 1].', example: 0.97 }),
  })
  .openapi('Prediction')

/**
 * One answer as the Worker sends it: the document's example of a Classification, and the answer the tests
 * of this package and the page start from (this package's tests check it parses).
 */
export const CLASSIFICATION_EXAMPLE = {
  label: 'cat',
  confidence: 0.97,
  predictions: [
    { label: 'cat', score: 0.97 },
    { label: 'dog', score: 0.03 },
  ],
  model: { id: 'whisker-cat-dog', version: '293288714127807f' },
  cached: false,
  timing: { decodeMs: 4, classifyMs: 11 },
} as const

export const ClassificationSchema = z
  .object({
    label: z.string().min(1).openapi({ description: 'The most likely label.', example: 'cat' }),
    confidence: z.number().min(0).max(1).openapi({ description: 'Its probability.', example: 0.97 }),
    predictions: z
      .array(PredictionSchema)
      .min(1)
      .openapi({ description: 'Highest score first; `topK` of them.' }),
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
  .openapi('Classification', { example: CLASSIFICATION_EXAMPLE })

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

/**
 * The card the model was trained with (model-core owns it: every runtime validates it on load). A clone:
 * zod instances made before extendZodWithOpenApi ran (model-core's may be) have no `.openapi` of their own.
 */
export const ModelCardSchema = modelCardSchema.clone().openapi('ModelCard')

export const HealthSchema = z
  .object({
    ok: z.literal(true),
    model: z.string().openapi({ description: 'The model version being served.' }),
    backend: z.enum(['wasm', 'cpu']).openapi({ description: 'The tfjs backend (cpu only if wasm failed).' }),
  })
  .openapi('Health')

/** `200` body of `POST /v1/classify` with a raw body. */
export type Classification = z.output<typeof ClassificationSchema>
export type Explanation = z.output<typeof ExplanationSchema>
export type Prediction = z.output<typeof PredictionSchema>
/** A `4xx`/`5xx` body of any route (`application/problem+json`). */
export type Problem = z.output<typeof ProblemSchema>
/** `200` body of `GET /v1/model`. */
export type ModelCard = z.output<typeof ModelCardSchema>
/** `200` body of `GET /healthz`. */
export type Health = z.output<typeof HealthSchema>
