/**
 * The Worker's fixed limits. The Worker enforces them (edge-api's config.ts, multipart.ts, routes), its
 * OpenAPI document states them (edge-api's contract.ts), and the page checks a photo against them before
 * uploading or classifying it on the device, so both refuse the same photos for the same reason.
 */

/**
 * A Worker isolate has 128 MB. Decoding holds the RGBA output in wasm memory (which never shrinks) plus
 * an RGB copy, about 7 bytes a pixel, so the preprocess default of 40 MP cannot fit. 16 MP still takes
 * a 12 MP phone photo (4032×3024) whole; larger images get a 422 that says why.
 */
export const WORKER_MAX_PIXELS = 16_000_000

/** Images in one multipart request. Each is decoded in turn, so this bounds a request's CPU time. */
export const MAX_IMAGES_PER_REQUEST = 16

/** The request body limit where a deployment sets no `MAX_BODY_BYTES` var (edge-api's config.ts). */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

/**
 * Side of the heatmap PNG in an answer's `explain`: 8 pixels per cell of MobileNetV2's 7 × 7 grid, already
 * smooth (bilinear), about 8 kB; a page scales it up over the photo with CSS. 112 pixels would triple the
 * bytes. The page draws its on-device heatmaps at the same size, so both look the same.
 */
export const HEATMAP_PNG_SIZE = 56

/** Sizes in words, as the document and the docs state them: `10 MiB`, `16 MP`. */
export const mebibytes = (bytes: number): string => `${bytes / 2 ** 20} MiB`
export const megapixels = (pixels: number): string => `${pixels / 1e6} MP`
