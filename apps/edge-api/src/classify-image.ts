import type { Classification, Classifier } from '@whisker/model-core'
import type { DecodeLimits, ImageDecoder } from '@whisker/preprocess'
import { type CacheMode, cachedResult, cacheResult, resultCacheKey, sha256Hex } from './result-cache.ts'
import { timed } from './timed.ts'

export interface ClassifyImageOptions {
  classifier: Classifier
  decode: ImageDecoder
  limits: DecodeLimits
  cache: CacheMode
  /** The Worker's origin, under which cache keys live. */
  origin: string
  /** Keeps the cache write alive after the response is sent (ExecutionContext.waitUntil). */
  waitUntil(promise: Promise<unknown>): void
}

/** One image's answer (every class ranked) and where the time went, in milliseconds. */
export interface ImageOutcome {
  result: Classification
  cached: boolean
  hashMs: number
  lookupMs: number
  decodeMs: number
  /** classifier.classify: resize (toModelInput) and inference, which the predictor does in one call. */
  classifyMs: number
}

/**
 * Bytes → ranked classification: from the cache when these bytes were classified before by this model,
 * else decoded (wasm codecs) and classified by the one predictor, then cached without delaying the answer.
 * Image problems surface as @whisker/preprocess errors (4xx); only successes are cached.
 */
export async function classifyImage(bytes: Uint8Array, options: ClassifyImageOptions): Promise<ImageOutcome> {
  const { classifier, decode, limits, cache, origin } = options
  let key: Request | undefined
  let hashMs = 0
  let lookupMs = 0
  if (cache !== 'bypass') {
    const [digest, ms] = await timed(() => sha256Hex(bytes))
    key = resultCacheKey(origin, classifier.card.version, digest)
    hashMs = ms
  }
  if (key && cache === 'use') {
    const lookup = key
    const [hit, ms] = await timed(() => cachedResult(lookup))
    lookupMs = ms
    if (hit) return { result: hit, cached: true, hashMs, lookupMs, decodeMs: 0, classifyMs: 0 }
  }
  const [image, decodeMs] = await timed(() => decode(bytes, limits))
  const [result, classifyMs] = await timed(() => classifier.classify(image))
  if (key) options.waitUntil(cacheResult(key, result))
  return { result, cached: false, hashMs, lookupMs, decodeMs, classifyMs }
}
