import { createRoute, type RouteConfig } from '@hono/zod-openapi'
import {
  componentRef,
  DEFAULT_MAX_BODY_BYTES,
  MAX_IMAGES_PER_REQUEST,
  mebibytes,
  megapixels,
  WORKER_MAX_PIXELS,
  WORKER_MAX_UNSCALED_PIXELS,
} from '@whisker/api-contract'
import { ClassifyQuerySchema, OPTIONAL_API_KEY, problem, REQUEST_ID_HEADER } from './schemas.ts'

/**
 * The API's routes as a contract: method, path, operationId, inputs and answers, without the handlers. The
 * answers refer to @whisker/api-contract's schemas by name (`componentRef`); openapi-document.ts puts them
 * in the document's components.
 * routes/*.ts implement them; /openapi.json documents them. Kept apart from the handlers so Node
 * (scripts/openapi.ts: the linter, the generated client's types) can build the document without the
 * Worker's wasm modules and bundled model.
 */

type BodyContent = NonNullable<NonNullable<RouteConfig['request']>['body']>['content']

/**
 * A route's answers, typed as @hono/zod-openapi's general `responses`: the JSON ones are the contract's
 * zod/mini schemas, referred to by name (`componentRef`), which @hono/zod-openapi cannot type a handler's
 * `c.json` by (it reads full zod only), so each handler states its answer's contract type itself
 * (`satisfies Classification`, …).
 */
const answers = (responses: RouteConfig['responses']): RouteConfig['responses'] => responses

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
        image: {
          type: 'array',
          items: { type: 'string', format: 'binary' },
          minItems: 1,
          maxItems: MAX_IMAGES_PER_REQUEST,
        },
      },
      required: ['image'],
    },
  },
}

export const classifyRoute = createRoute({
  method: 'post',
  path: '/v1/classify',
  operationId: 'classify',
  summary: `Classify one photo, or up to ${MAX_IMAGES_PER_REQUEST} in one multipart request`,
  description: [
    'A raw body is one photo (JPEG, PNG or WebP; the type is read from the bytes, so any Content-Type',
    'other than multipart/form-data is taken as raw bytes, curl’s default included) and gets one',
    `Classification. A multipart/form-data body carries 1–${MAX_IMAGES_PER_REQUEST} files, each in a field named \`image\`, and`,
    'gets an array of Classifications in field order; one bad image fails the request with its `index`.',
    `The whole body is limited to MAX_BODY_BYTES (${mebibytes(DEFAULT_MAX_BODY_BYTES)} by default). Identical bytes are answered from`,
    'the cache (`X-Whisker-Cache`, `cached`); send `Cache-Control: no-cache` to recompute, `no-store` to',
    'skip the cache entirely. `?explain=1` adds to each answer where the model looked for its label',
    '(`explain`: a heatmap grid and a PNG data URL), computed from the same forward pass.',
  ].join(' '),
  security: OPTIONAL_API_KEY,
  request: {
    query: ClassifyQuerySchema,
    body: { required: true, content: bodyContent },
  },
  responses: answers({
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
        'application/json': {
          schema: {
            anyOf: [{ $ref: componentRef('Classification') }, { $ref: componentRef('ClassificationBatch') }],
          },
        },
      },
    },
    400: problem(
      'EMPTY_IMAGE, CORRUPT_IMAGE, INVALID_QUERY, INVALID_MULTIPART, UNEXPECTED_FIELD, MISSING_IMAGE or TOO_MANY_IMAGES',
    ),
    401: problem('UNAUTHORIZED: API keys are configured and none (or a wrong one) was sent'),
    413: problem('TOO_MANY_BYTES: the body is over MAX_BODY_BYTES'),
    415: problem('UNSUPPORTED_TYPE: not JPEG, PNG or WebP, judged by the bytes'),
    422: problem(
      `TOO_MANY_PIXELS: an image over the pixel budget (${megapixels(WORKER_MAX_PIXELS)}; ` +
        `${megapixels(WORKER_MAX_UNSCALED_PIXELS)} for PNG, WebP and progressive JPEG), refused before decoding`,
    ),
    429: {
      ...problem('RATE_LIMITED: wait `Retry-After` seconds'),
      headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
    },
    500: problem('INTERNAL: our bug; quote requestId'),
  }),
})

export const modelRoute = createRoute({
  method: 'get',
  path: '/v1/model',
  operationId: 'getModelCard',
  summary: 'The model card of the model being served',
  description:
    'Labels, input size, `version`, and `estimate`: the accuracy and log loss to expect on new photos, with 95 % intervals and how they were measured. Sent with an ETag: revalidate with If-None-Match for a 304.',
  security: OPTIONAL_API_KEY,
  responses: answers({
    200: {
      description: 'The model card.',
      headers: { ...REQUEST_ID_HEADER, ETag: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: { $ref: componentRef('ModelCard') } } },
    },
    304: { description: 'Not modified: the If-None-Match ETag is current.' },
    401: problem('UNAUTHORIZED'),
    429: problem('RATE_LIMITED'),
  }),
})

export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  summary: 'Liveness: the model loads and a tfjs backend runs',
  // Public on purpose, whatever API_KEYS says: load balancers and uptime checks carry no key.
  security: [],
  responses: answers({
    200: {
      description: 'Healthy.',
      content: { 'application/json': { schema: { $ref: componentRef('Health') } } },
    },
    // The Worker has no client error to give here (no input, no key, no rate limit); the platform can.
    '4XX': {
      description:
        'Not from the Worker: Cloudflare’s edge refusing a request before the Worker runs (e.g. an oversized URL or headers).',
    },
    500: problem('INTERNAL: the model did not load or no tfjs backend started; quote requestId'),
  }),
})

/** Every route of the API, in the order the document lists them. */
export const API_ROUTES = [classifyRoute, modelRoute, healthRoute] as const
