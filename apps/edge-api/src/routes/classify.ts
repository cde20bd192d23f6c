import { createRoute, type RouteConfig, z } from '@hono/zod-openapi'
import { PreprocessError } from '@whisker/preprocess'
import { setMetric } from 'hono/timing'
import { classifyImage, type ImageOutcome } from '../classify-image.ts'
import { WORKER_MAX_PIXELS } from '../config.ts'
import { decodeImage } from '../decoder.ts'
import { BatchImageError } from '../errors.ts'
import { imagesFromMultipart, isMultipart } from '../multipart.ts'
import { readBody } from '../read-body.ts'
import { cacheModeOf } from '../result-cache.ts'
import { newRouter, type RouteDeps } from '../router.ts'
import {
  ClassificationBatchSchema,
  ClassificationSchema,
  ClassifyQuerySchema,
  OPTIONAL_API_KEY,
  problem,
  REQUEST_ID_HEADER,
  wantsExplain,
} from '../schemas.ts'
import { roundMs, timed } from '../timed.ts'

export type Classification = z.infer<typeof ClassificationSchema>

type BodyContent = NonNullable<NonNullable<RouteConfig['request']>['body']>['content']

const binary = { schema: { type: 'string', format: 'binary' } } as const

/**
 * Plain OpenAPI schema objects, not zod: they document the body without @hono/zod-openapi parsing it, since
 * the body must be read under the streaming byte limit (read-body.ts) before anything else touches it.
 */
const bodyContent: BodyContent = {
  'image/jpeg': binary,
  'image/png': binary,
  'image/webp': binary,
  'application/octet-stream': binary,
  'multipart/form-data': {
    schema: {
      type: 'object',
      properties: {
        image: { type: 'array', items: { type: 'string', format: 'binary' }, minItems: 1, maxItems: 16 },
      },
      required: ['image'],
    },
  },
}

export const classifyRoute = createRoute({
  method: 'post',
  path: '/v1/classify',
  summary: 'Classify one photo, or up to 16 in one multipart request',
  description: [
    'A raw body is one photo (JPEG, PNG or WebP; the type is read from the bytes, so any Content-Type',
    'other than multipart/form-data is taken as raw bytes, curl’s default included) and gets one',
    'Classification. A multipart/form-data body carries 1–16 files, each in a field named `image`, and',
    'gets an array of Classifications in field order; one bad image fails the request with its `index`.',
    'The whole body is limited to MAX_BODY_BYTES (10 MiB by default). Identical bytes are answered from',
    'the cache (`X-Whisker-Cache`, `cached`); send `Cache-Control: no-cache` to recompute, `no-store` to',
    'skip the cache entirely. `?explain=1` adds to each answer where the model looked for its label',
    '(`explain`: a heatmap grid and a PNG data URL), computed from the same forward pass.',
  ].join(' '),
  security: OPTIONAL_API_KEY,
  request: {
    query: ClassifyQuerySchema,
    body: { required: true, content: bodyContent },
  },
  responses: {
    200: {
      description:
        'A Classification for a raw body; a ClassificationBatch (array, in field order) for multipart.',
      headers: {
        ...REQUEST_ID_HEADER,
        'X-Whisker-Cache': {
          description:
            '`hit`, `miss`, `partial` (a batch, some cached) or `bypass` (`Cache-Control: no-store`).',
          schema: { type: 'string', enum: ['hit', 'miss', 'partial', 'bypass'] },
        },
        'Server-Timing': {
          description:
            'read, hash, cache, decode, classify (resize + inference), explain (with `?explain=1`: Grad-CAM + PNG) and total, in ms.',
          schema: { type: 'string' },
        },
      },
      content: {
        'application/json': { schema: z.union([ClassificationSchema, ClassificationBatchSchema]) },
      },
    },
    400: problem(
      'EMPTY_IMAGE, CORRUPT_IMAGE, INVALID_QUERY, INVALID_MULTIPART, UNEXPECTED_FIELD, MISSING_IMAGE or TOO_MANY_IMAGES',
    ),
    401: problem('UNAUTHORIZED: API keys are configured and none (or a wrong one) was sent'),
    413: problem('TOO_MANY_BYTES: the body is over MAX_BODY_BYTES'),
    415: problem('UNSUPPORTED_TYPE: not JPEG, PNG or WebP, judged by the bytes'),
    422: problem('TOO_MANY_PIXELS: an image over the pixel budget (16 MP), refused before decoding'),
    429: {
      ...problem('RATE_LIMITED: wait `Retry-After` seconds'),
      headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
    },
    500: problem('INTERNAL: our bug; quote requestId'),
  },
})

/** The public answer for one image: `topK` predictions, the model, whether cached, and its stage times. */
function toClassification(
  outcome: ImageOutcome,
  topK: number | undefined,
  model: Classification['model'],
  explain: boolean,
) {
  const { label, confidence, predictions } = outcome.result // every class, ranked
  return {
    label,
    confidence,
    predictions: topK === undefined ? predictions : predictions.slice(0, topK),
    model,
    cached: outcome.cached,
    ...(outcome.explain && { explain: outcome.explain }),
    timing: {
      decodeMs: roundMs(outcome.decodeMs),
      classifyMs: roundMs(outcome.classifyMs),
      ...(explain && { explainMs: roundMs(outcome.explainMs) }),
    },
  } satisfies Classification
}

/** `X-Whisker-Cache` for the request: one word for one image or a whole batch. */
function cacheStatus(outcomes: readonly ImageOutcome[], bypassed: boolean): string {
  if (bypassed) return 'bypass'
  const hits = outcomes.filter((o) => o.cached).length
  return hits === 0 ? 'miss' : hits === outcomes.length ? 'hit' : 'partial'
}

const sum = (
  outcomes: readonly ImageOutcome[],
  stage: keyof Omit<ImageOutcome, 'result' | 'cached' | 'explain'>,
) => outcomes.reduce((total, o) => total + o[stage], 0)

export function classifyRoutes({ getClassifier }: RouteDeps) {
  return newRouter().openapi(classifyRoute, async (c) => {
    const query = c.req.valid('query')
    const { topK } = query
    const explain = wantsExplain(query.explain)
    const { maxBodyBytes } = c.get('config')
    const contentType = c.req.header('Content-Type')
    const batch = isMultipart(contentType)

    const [body, readMs] = await timed(() => readBody(c.req.raw, maxBodyBytes))
    const images = batch ? await imagesFromMultipart(body, contentType ?? '') : [body]
    const classifier = await getClassifier()
    const cache = cacheModeOf(c.req.raw)
    const options = {
      classifier,
      decode: decodeImage,
      limits: { maxBytes: maxBodyBytes, maxPixels: WORKER_MAX_PIXELS },
      cache,
      explain,
      origin: new URL(c.req.url).origin,
      waitUntil: (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise),
    }
    // One at a time: decoding and inference are CPU-bound in one thread, and a decoded photo is large.
    const outcomes: ImageOutcome[] = []
    for (const [index, image] of images.entries()) {
      try {
        outcomes.push(await classifyImage(image, options))
      } catch (error) {
        throw batch && error instanceof PreprocessError ? new BatchImageError(index, error) : error
      }
    }

    const status = cacheStatus(outcomes, cache === 'bypass')
    setMetric(c, 'read', readMs, 'upload')
    setMetric(c, 'hash', sum(outcomes, 'hashMs'))
    setMetric(c, 'cache', sum(outcomes, 'lookupMs'), status)
    setMetric(c, 'decode', sum(outcomes, 'decodeMs'))
    setMetric(c, 'classify', sum(outcomes, 'classifyMs'), 'preprocess + inference')
    if (explain) setMetric(c, 'explain', sum(outcomes, 'explainMs'), 'heatmap + PNG')
    c.header('X-Whisker-Cache', status)

    const model = { id: classifier.card.name, version: classifier.card.version }
    const answers = outcomes.map((outcome) => toClassification(outcome, topK, model, explain))
    return c.json(batch ? answers : answers[0]!, 200)
  })
}
