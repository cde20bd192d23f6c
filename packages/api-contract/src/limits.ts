/**
 * The Worker's fixed limits. The Worker enforces them (edge-api's config.ts, multipart.ts, routes), its
 * OpenAPI document states them (edge-api's contract.ts), and the page checks a photo against them before
 * uploading or classifying it on the device, so both refuse the same photos for the same reason.
 */

/**
 * A Worker isolate has 128 MB. A baseline JPEG is decoded at 1/2, 1/4 or 1/8 scale in the IDCT (the
 * model needs 224 pixels a side), so its pixels cost almost nothing: 16 MP takes a 12 MP phone photo
 * (4032×3024) and a 16 MP one whole, and bounds the header-to-decode work. Larger images get a 422.
 */
export const WORKER_MAX_PIXELS = 16_000_000

/**
 * PNG, WebP and progressive JPEG cannot be decoded scaled: PNG and WebP hold RGBA in wasm memory (which
 * never shrinks) plus JS copies, measured at about 12 bytes a pixel at peak in Node (a 16 MP PNG: +193 MB
 * of RSS); a progressive JPEG holds every DCT coefficient (3 bytes a pixel at 4:2:0, 6 at 4:4:4).
 * edge-api's isolate-memory.test.ts sums the model, the codecs and the buffers at this budget and fails
 * above 128 MB: at 4 MP it came to 135 MB, at 3 MP (2048 × 1536; a 1920 × 1080 screenshot fits) it stays below.
 */
export const WORKER_MAX_UNSCALED_PIXELS = 3_000_000

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
