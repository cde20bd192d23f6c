// The card's own entry: the package's main one brings tfjs, which the page's first download must not carry.
import { MODEL_CARD_EXAMPLE, modelCardSchema } from '@whisker/model-core/card'
// zod/mini, not zod: the page parses the Worker's answers with these schemas in its first download, where
// full zod (its methods cannot be tree-shaken) took the main script from 9 to 102 kB gzip; mini adds ~9 kB.
import * as z from 'zod/mini'
import { HEATMAP_PNG_SIZE } from './limits.ts'
import { PROBLEM_CODES } from './problems.ts'

/**
 * The shapes of the API's answers. The Worker's routes are typed by them and its /openapi.json is
 * generated from them (openapi.ts); the page validates what it receives with them and reads the types
 * inferred from them. A field renamed here fails the Worker's handlers and the page's code at typecheck.
 */

/** What a schema says in the OpenAPI document: `id` makes it a named component, the rest is documentation. */
export interface DocumentedAs {
  readonly id?: string
  readonly description?: string
  readonly example?: unknown
}

/**
 * The schemas' documentation, kept beside them but apart from validation: zod/mini schemas have no
 * `.openapi()`/`.meta()`, so each one is registered here, and openapi.ts reads this registry. A registry of
 * the contract's own rather than zod's global one, whose ids would clash if two copies of it were loaded.
 */
export const documentation = z.registry<DocumentedAs>()

/** `schema`, documented as `as` in the OpenAPI document. */
function doc<T extends z.ZodMiniType>(schema: T, as: DocumentedAs): T {
  documentation.add(schema, as)
  return schema
}

const probability = () => z.number().check(z.minimum(0), z.maximum(1))
const nonEmpty = () => z.string().check(z.minLength(1))

export const ExplanationSchema = doc(
  z.object({
    method: doc(z.enum(['grad-cam', 'cam']), {
      description:
        '`grad-cam`: Grad-CAM (gradient-weighted class activation map); `cam`: class activation map, where the head is global pooling plus one linear layer. From the model card.',
    }),
    label: doc(nonEmpty(), { description: 'The class explained: the answer’s `label`.', example: 'cat' }),
    grid: doc(z.array(z.array(probability())), {
      description:
        'The heatmap, rows top first (7 × 7 for the default model): how much each region of `region` counted for `label`, 1 the most, 3 decimals.',
      example: [
        [0, 0.1, 0.3],
        [0.2, 1, 0.6],
        [0, 0.4, 0.2],
      ],
    }),
    // Base64 only, so a page can put it in an `img` as it is: nothing in it can be markup or script.
    png: doc(z.string().check(z.regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/)), {
      description: `The same, smoothed and coloured (indigo cold to red hot, more opaque where hotter), as a ${HEATMAP_PNG_SIZE} × ${HEATMAP_PNG_SIZE} RGBA PNG data URL: stretch it over \`region\`.`,
    }),
    region: doc(
      z.object({
        x: z.int().check(z.minimum(0)),
        y: z.int().check(z.minimum(0)),
        width: z.int().check(z.positive()),
        height: z.int().check(z.positive()),
      }),
      {
        description:
          'The part of the photo the model saw, which the heatmap covers, in pixels of the photo as decoded and turned upright (EXIF): the centred square for the default model.',
      },
    ),
  }),
  { id: 'Explanation' },
)

export const PredictionSchema = doc(
  z.object({
    label: doc(nonEmpty(), { example: 'cat' }),
    score: doc(probability(), { description: 'Probability in [0, 1].', example: 0.97 }),
  }),
  { id: 'Prediction' },
)

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

export const ClassificationSchema = doc(
  z.object({
    label: doc(nonEmpty(), { description: 'The most likely label.', example: 'cat' }),
    confidence: doc(probability(), { description: 'Its probability.', example: 0.97 }),
    predictions: doc(z.array(PredictionSchema).check(z.minLength(1)), {
      description: 'Highest score first; `topK` of them.',
    }),
    model: doc(
      z.object({
        id: doc(z.string(), { description: "The model card's `name`.", example: 'whisker-cat-dog' }),
        version: doc(z.string(), {
          description: 'Content hash of the model graph and weights.',
          example: '293288714127807f',
        }),
      }),
      { id: 'ModelRef' },
    ),
    cached: doc(z.boolean(), {
      description: 'Answered from the cache: the same bytes were classified before by this model version.',
    }),
    explain: doc(z.optional(ExplanationSchema), {
      description: 'With `?explain=1`: where the model looked for its label.',
    }),
    timing: doc(
      z.object({
        decodeMs: doc(z.number(), { description: 'Decoding the image (0 when cached).' }),
        classifyMs: doc(z.number(), { description: 'Resize and inference (0 when cached).' }),
        explainMs: doc(z.optional(z.number()), {
          description: 'With `?explain=1`: the heatmap and its PNG (0 when cached).',
        }),
      }),
      {
        description:
          'Time spent on this image by this request. Deployed Workers only advance timers across I/O, so these read 0 there.',
      },
    ),
  }),
  { id: 'Classification', example: CLASSIFICATION_EXAMPLE },
)

/** Multipart requests get one Classification per `image` field, in field order. */
export const ClassificationBatchSchema = doc(z.array(ClassificationSchema), { id: 'ClassificationBatch' })

export const ProblemSchema = doc(
  z.object({
    type: doc(z.string(), { example: 'urn:whisker:problem:unsupported-type' }),
    title: doc(z.string(), { example: 'Unsupported image type' }),
    status: doc(z.int(), { example: 415 }),
    detail: doc(z.string(), { description: 'For people; program against `code`.' }),
    code: z.enum(PROBLEM_CODES),
    requestId: doc(z.string(), {
      description: 'Also in `X-Request-Id`; quote it when reporting a problem.',
    }),
    index: doc(z.optional(z.int()), { description: 'Which image of a multipart batch (0-based).' }),
  }),
  { id: 'Problem', description: 'RFC 9457 problem details (`application/problem+json`).' },
)

/**
 * The card the model was trained with (model-core owns it: every runtime validates it on load). A clone,
 * so naming it here leaves model-core's schema as it is.
 */
export const ModelCardSchema = doc(modelCardSchema.clone(), { id: 'ModelCard', example: MODEL_CARD_EXAMPLE })

export const HealthSchema = doc(
  z.object({
    ok: z.literal(true),
    model: doc(z.string(), { description: 'The model version being served.' }),
    backend: doc(z.enum(['wasm', 'cpu']), { description: 'The tfjs backend (cpu only if wasm failed).' }),
  }),
  { id: 'Health' },
)

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
