import type { Classification } from '@whisker/model-core'
import type { Explained } from './classify-image.ts'

/**
 * Answers for uploads seen before, in the Cache API (`caches.default`, per Cloudflare location). The key is
 * the SHA-256 of the image bytes under the model version, so a new model never answers from an old one's
 * cache. Stored with every class ranked, so one entry serves any `topK`. Note: Cloudflare ignores cache
 * writes on *.workers.dev hostnames; the cache takes effect on a custom domain or route.
 */

/** Keep a week: the key pins both the bytes and the model, so an entry can never go stale, only cold. */
const MAX_AGE_SECONDS = 7 * 24 * 3600

/** How a request wants the cache used, from its own `Cache-Control` (HTTP semantics, handy for benchmarks). */
export type CacheMode = 'use' | 'refresh' | 'bypass'

export function cacheModeOf(request: Request): CacheMode {
  const directives = (request.headers.get('Cache-Control') ?? '').toLowerCase()
  if (/\bno-store\b/.test(directives)) return 'bypass' // neither read nor write
  if (/\bno-cache\b/.test(directives)) return 'refresh' // compute afresh, then store
  return 'use'
}

/** What is stored per image: every class ranked, and the heatmap when it was asked for. */
export interface CachedAnswer {
  result: Classification
  explain?: Explained
}

/**
 * A GET under the Worker's own origin: the Cache API keys by URL, and only same-zone URLs are stored.
 * Explained answers live under their own key (`…/explain`): they carry a heatmap a plain answer need not.
 * `v2`: the stored shape became `{ result, explain? }`; entries of the old shape are never read.
 */
export function resultCacheKey(
  origin: string,
  modelVersion: string,
  digest: string,
  explain = false,
): Request {
  return new Request(
    `${origin}/__whisker-cache/classify/v2/${modelVersion}/${digest}${explain ? '/explain' : ''}`,
  )
}

export async function cachedResult(key: Request): Promise<CachedAnswer | undefined> {
  const hit = await caches.default.match(key)
  return hit ? hit.json<CachedAnswer>() : undefined
}

export function cacheResult(key: Request, answer: CachedAnswer): Promise<void> {
  const response = new Response(JSON.stringify(answer), {
    headers: { 'Content-Type': 'application/json', 'Cache-Control': `public, max-age=${MAX_AGE_SECONDS}` },
  })
  return caches.default.put(key, response)
}
