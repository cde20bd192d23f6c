/**
 * The Worker's fixed limits: what it enforces (config.ts, multipart.ts, routes/classify.ts) and what its
 * OpenAPI document states (contract.ts) come from here. Free of Workers runtime types, so Node can build the
 * document too.
 */

/**
 * A Worker isolate has 128 MB. Decoding holds the RGBA output in wasm memory (which never shrinks) plus
 * an RGB copy, about 7 bytes a pixel, so the preprocess default of 40 MP cannot fit. 16 MP still takes
 * a 12 MP phone photo (4032×3024) whole; larger images get a 422 that says why.
 */
export const WORKER_MAX_PIXELS = 16_000_000

/** Images in one multipart request. Each is decoded in turn, so this bounds a request's CPU time. */
export const MAX_IMAGES_PER_REQUEST = 16

/** The request body limit where a deployment sets no `MAX_BODY_BYTES` var (config.ts). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
