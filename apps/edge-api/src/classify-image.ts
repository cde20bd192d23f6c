import type { Classification, Classifier } from '@whisker/model-core'
import { heatmapRows } from '@whisker/model-core'
import {
  type CropWindow,
  type DecodeLimits,
  type ImageDecoder,
  modelInputWindow,
  type ResizePolicy,
  type RgbImage,
  sha256Hex,
} from '@whisker/preprocess'
import { heatmapDataUrl } from './heatmap-png.ts'
import {
  type CachedAnswer,
  type CacheMode,
  cachedResult,
  cacheResult,
  resultCacheKey,
} from './result-cache.ts'
import { timed } from './timed.ts'

export interface ClassifyImageOptions {
  classifier: Classifier
  decode: ImageDecoder
  limits: DecodeLimits
  cache: CacheMode
  /** Also draw where the model looked for its answer (`?explain=1`). */
  explain: boolean
  /** The Worker's origin, under which cache keys live. */
  origin: string
  /** Keeps the cache write alive after the response is sent (ExecutionContext.waitUntil). */
  waitUntil(promise: Promise<unknown>): void
}

/** Where the model looked for its top class, as the API sends it. */
export interface Explained {
  method: 'grad-cam' | 'cam'
  /** The class explained: the answer's label. */
  label: string
  /** Rows of the heatmap grid (7 × 7 for MobileNetV2), top row first, values in [0, 1]. */
  grid: number[][]
  /** The same, smoothed and coloured, as a `data:image/png;base64,…` URL. */
  png: string
  /** The part of the (EXIF-oriented) photo the grid covers, in its pixels: the model's crop. */
  region: CropWindow
}

/** One image's answer (every class ranked) and where the time went, in milliseconds. */
export interface ImageOutcome {
  result: Classification
  /** Present when asked for and the model can explain itself. */
  explain?: Explained
  cached: boolean
  hashMs: number
  lookupMs: number
  decodeMs: number
  /** Resize (toModelInput) and inference, which the predictor does in one call. */
  classifyMs: number
  /** Grad-CAM (gradient and map) and the PNG; 0 when not asked for or cached. */
  explainMs: number
}

/**
 * Bytes → ranked classification: from the cache when these bytes were classified before by this model,
 * else decoded (wasm codecs) and classified by the one predictor, then cached without delaying the answer.
 * With `explain`, the same forward pass also gives the heatmap (Classifier.explain), cached under its own
 * key, so plain answers stay as small as before. Image problems surface as @whisker/preprocess errors
 * (4xx); only successes are cached.
 */
export async function classifyImage(bytes: Uint8Array, options: ClassifyImageOptions): Promise<ImageOutcome> {
  const { classifier, decode, limits, cache, origin } = options
  const explain = options.explain && classifier.explainNodes !== undefined
  let key: Request | undefined
  let hashMs = 0
  let lookupMs = 0
  if (cache !== 'bypass') {
    const [digest, ms] = await timed(() => sha256Hex(bytes))
    key = resultCacheKey(origin, classifier.card.version, digest, explain)
    hashMs = ms
  }
  const zero = { decodeMs: 0, classifyMs: 0, explainMs: 0 }
  if (key && cache === 'use') {
    const lookup = key
    const [hit, ms] = await timed(() => cachedResult(lookup))
    lookupMs = ms
    if (hit && (!explain || hit.explain)) return { ...hit, cached: true, hashMs, lookupMs, ...zero }
  }
  // The model needs `size` pixels a side: a large JPEG is decoded at 1/2, 1/4 or 1/8 in the IDCT, so a
  // 12 MP photo costs a 0.2 MP decode (CPU and isolate memory), and toModelInput does the rest.
  const hint = { minSide: classifier.card.input.resize.size }
  const [image, decodeMs] = await timed(() => decode(bytes, limits, hint))
  let answer: CachedAnswer
  let classifyMs: number
  let explainMs = 0
  if (explain) {
    const { classification, heatmap, timing } = await classifier.explain(image)
    const [png, pngMs] = await timed(() => heatmapDataUrl(heatmap))
    classifyMs = timing.classifyMs
    explainMs = timing.heatmapMs + pngMs
    const region = photoRegion(image, classifier.card.input.resize)
    const explained = {
      method: heatmap.method,
      label: heatmap.label,
      grid: heatmapRows(heatmap),
      png,
      region,
    }
    answer = { result: classification, explain: explained }
  } else {
    const [result, ms] = await timed(() => classifier.classify(image))
    classifyMs = ms
    answer = { result }
  }
  if (key) options.waitUntil(cacheResult(key, answer))
  return { ...answer, cached: false, hashMs, lookupMs, decodeMs, classifyMs, explainMs }
}

/**
 * The model's crop in the photo's own pixels: the window a full-size decode would crop. After a scaled
 * decode the model saw the same window within one scaled pixel (≤ 8 photo pixels at 1/8).
 */
function photoRegion(image: RgbImage, policy: ResizePolicy): CropWindow {
  const { width, height } = image.source ?? image
  return modelInputWindow(width, height, policy)
}
