import type { DecodeLimits } from '@whisker/preprocess'

/**
 * A Worker isolate has 128 MB. Decoding holds the RGBA output in wasm memory (which never shrinks) plus
 * an RGB copy, about 7 bytes a pixel, so the preprocess default of 40 MP cannot fit. 16 MP still takes
 * a 12 MP phone photo (4032×3024) whole; larger images get a 422 that says why.
 */
export const WORKER_MAX_PIXELS = 16_000_000

/**
 * What the Worker accepts. The byte limit is enforced while the body streams in (src/read-body.ts) and
 * again by the decoder; the pixel budget is checked from the image header before any pixel is decoded.
 */
export const LIMITS: DecodeLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: WORKER_MAX_PIXELS }

/** Prefix of RFC 9457 problem `type`s: a stable name for each error code, not a page to fetch. */
export const PROBLEM_TYPE_BASE = 'urn:whisker:problem:'
