import { DEFAULT_LIMITS, type DecodeLimits } from '@whisker/preprocess'

/**
 * What the Worker accepts. The byte limit is enforced while the body streams in (src/read-body.ts) and
 * again by the decoder; the pixel budget is checked from the image header before any pixel is decoded.
 */
export const LIMITS: DecodeLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: DEFAULT_LIMITS.maxPixels }

/** Prefix of RFC 9457 problem `type`s: a stable name for each error code, not a page to fetch. */
export const PROBLEM_TYPE_BASE = 'urn:whisker:problem:'
