import { assertComplete } from '../complete.ts'
import { checkLimits } from '../guards.ts'
import type { DecodeLimits, ImageHeader } from '../types.ts'

/**
 * The checks every decoder runs before handing bytes to a codec: limits (bytes, header, pixel budget)
 * then completeness. Sharing this one function is what makes all runtimes refuse the same files with
 * the same error codes, whatever their codec would have tolerated. The header it returns says which
 * JPEGs are CMYK or YCCK (`colourSpace`): every decoder hands those to `decodeCmykJpeg`.
 */
export function admit(bytes: Uint8Array, limits?: Partial<DecodeLimits>): ImageHeader {
  const header = checkLimits(bytes, limits)
  assertComplete(bytes, header.format)
  return header
}
