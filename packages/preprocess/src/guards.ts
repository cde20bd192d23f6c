import { EmptyImageError, ImageTooLargeError, PixelBudgetError } from './errors.ts'
import { readImageHeader } from './header.ts'
import { DEFAULT_LIMITS, type DecodeLimits, type ImageHeader } from './types.ts'

export function resolveLimits(limits?: Partial<DecodeLimits>): DecodeLimits {
  return { ...DEFAULT_LIMITS, ...limits }
}

/**
 * The gate in front of every decoder, cheapest check first: the byte count (free), then the header
 * (a few bytes read), then the pixel budget computed from the header. A tiny file that claims
 * 50000×50000 is therefore refused before any pixel buffer exists.
 */
export function checkLimits(bytes: Uint8Array, limits?: Partial<DecodeLimits>): ImageHeader {
  const { maxBytes, maxPixels } = resolveLimits(limits)
  if (bytes.length === 0) throw new EmptyImageError()
  if (bytes.length > maxBytes) throw new ImageTooLargeError(bytes.length, maxBytes)
  const header = readImageHeader(bytes)
  if (header.width * header.height > maxPixels) {
    throw new PixelBudgetError(header.width, header.height, maxPixels)
  }
  return header
}
