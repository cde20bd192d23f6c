import { EmptyImageError, ImageTooLargeError, PixelBudgetError } from './errors.ts'
import { readImageHeader } from './header.ts'
import { CMYK_PIXEL_COST, DEFAULT_LIMITS, type DecodeLimits, type ImageHeader } from './types.ts'

export function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  return { ...DEFAULT_LIMITS, ...limits }
}

/**
 * The gate in front of every decoder, cheapest check first: the byte count (free), then the header
 * (a few bytes read), then the pixel budget computed from the header. A tiny file that claims
 * 50000×50000 is therefore refused before any pixel buffer exists. A CMYK/YCCK JPEG gets a budget of
 * `maxPixels / CMYK_PIXEL_COST`, because its decoder needs that much more memory per pixel; PNG, WebP
 * and progressive JPEG get `maxUnscaledPixels` where set, because they are decoded at full size.
 */
export function checkLimits(bytes: Uint8Array, limits?: Partial<DecodeLimits>): ImageHeader {
  const { maxBytes, maxPixels, maxUnscaledPixels } = resolveLimits(limits)
  if (bytes.length === 0) throw new EmptyImageError()
  if (bytes.length > maxBytes) throw new ImageTooLargeError(bytes.length, maxBytes)
  const header = readImageHeader(bytes)
  const pixels = header.width * header.height
  if (header.colourSpace) {
    const budget = cmykPixelBudget(maxPixels)
    if (pixels > budget) throw new PixelBudgetError(header.width, header.height, budget, CMYK_BUDGET_NAME)
  } else if (pixels > maxPixels) {
    throw new PixelBudgetError(header.width, header.height, maxPixels)
  } else if (maxUnscaledPixels !== undefined && !scalable(header) && pixels > maxUnscaledPixels) {
    throw new PixelBudgetError(header.width, header.height, maxUnscaledPixels, UNSCALED_BUDGET_NAME)
  }
  return header
}

/** Whether a decoder given a DecodeHint can decode this image without ever holding it at full size. */
function scalable(header: ImageHeader): boolean {
  return header.format === 'jpeg' && !header.progressive
}

const UNSCALED_BUDGET_NAME = 'PNG, WebP and progressive JPEG (maxUnscaledPixels: decoded at full size)'

const CMYK_BUDGET_NAME = `CMYK JPEGs (1/${CMYK_PIXEL_COST} of maxPixels: their decoder needs ${CMYK_PIXEL_COST} times the memory)`

/** The largest width × height accepted for a CMYK/YCCK JPEG under a given `maxPixels`. */
export function cmykPixelBudget(maxPixels: number): number {
  return Math.floor(maxPixels / CMYK_PIXEL_COST)
}
