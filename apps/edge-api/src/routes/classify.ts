import { type Classification, WORKER_MAX_PIXELS, WORKER_MAX_UNSCALED_PIXELS } from '@whisker/api-contract'
import { PreprocessError } from '@whisker/preprocess'
import { setMetric } from 'hono/timing'
import { classifyImage, type ImageOutcome } from '../classify-image.ts'
import { classifyRoute } from '../contract.ts'
import { decodeImage } from '../decoder.ts'
import { BatchImageError } from '../errors.ts'
import { imagesFromMultipart, isMultipart } from '../multipart.ts'
import { readBody } from '../read-body.ts'
import { cacheModeOf } from '../result-cache.ts'
import { newRouter, type RouteDeps } from '../router.ts'
import { wantsExplain } from '../schemas.ts'
import { roundMs, timed } from '../timed.ts'

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
      limits: {
        maxBytes: maxBodyBytes,
        maxPixels: WORKER_MAX_PIXELS,
        maxUnscaledPixels: WORKER_MAX_UNSCALED_PIXELS,
      },
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
    return c.json((batch ? answers : answers[0]!) satisfies Classification | Classification[], 200)
  })
}
