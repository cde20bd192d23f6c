import jpeg from 'jpeg-js'
import { CorruptImageError } from '../errors.ts'
import { cmykPixelBudget, resolveLimits } from '../guards.ts'
import { applyOrientation, readOrientation } from '../orient.ts'
import type { DecodeLimits, ImageHeader, RgbImage } from '../types.ts'

/**
 * More scans than any encoder writes (a progressive CMYK file has about 10 to 20), few enough to bound
 * the work: jpeg-js walks every block of a component in each scan, so a small file made of thousands of
 * near-empty scans would otherwise keep it busy for minutes.
 */

/**
 * Bytes per pixel that jpeg-js counts against its `maxMemoryUsageInMB` for a 4-component frame:
 * coefficient blocks (4 bytes a sample per component), component lines (1 byte a sample per
 * component), its CMYK buffer (4) and the RGB output (3). Real memory peaks at about twice this.
 */
const COUNTED_BYTES_PER_PIXEL = 4 * (4 + 1) + 4 + 3
const MiB = 1024 * 1024

/**
 * CMYK and YCCK JPEGs, decoded the same way on every runtime: the wasm mozjpeg build cannot convert
 * them to RGB, so the Node and wasm decoders both hand them to this one pure-JS decoder (jpeg-js),
 * whose integer IDCT and IEEE double colour arithmetic give the same bytes in V8, SpiderMonkey and
 * JavaScriptCore. Called after `admit` (limits, completeness), with the header it returned.
 *
 * Colour: no ICC profile (embedded profiles are ignored everywhere), the Adobe convention that
 * Photoshop writes and browsers assume without a profile: the stored samples are inverted ink, YCCK is
 * first turned back into them, then R = (255 − C)(255 − K) / 255 (likewise G from M, B from Y),
 * truncated to 8 bits. `colorTransform` passes on the header's reading of the Adobe marker. (jpeg-js
 * also reads Adobe markers between progressive scans, which the header does not, and lets a non-zero
 * transform there win: such an odd file decodes as YCCK, still to the same bytes on every runtime.)
 */
export function decodeCmykJpeg(
  bytes: Uint8Array,
  header: ImageHeader,
  limits?: Partial<DecodeLimits>,
): RgbImage {
  if (header.format !== 'jpeg' || !header.colourSpace) {
    throw new TypeError('decodeCmykJpeg: the header is not that of a CMYK or YCCK JPEG')
  }
  // jpeg-js's own limits, a second line behind checkLimits: its memory count also covers the MCU
  // padding and the tables, which the header's width × height does not.
  const budget = cmykPixelBudget(resolveLimits(limits).maxPixels)
  let decoded: { width: number; height: number; data: Uint8Array }
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: header.colourSpace === 'ycck',
      tolerantDecoding: false,
      maxResolutionInMP: (budget + 1) / 1e6, // + 1: no float rounding may cut the budget itself
      maxMemoryUsageInMB: Math.ceil((budget * COUNTED_BYTES_PER_PIXEL * 1.25) / MiB) + 1,
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CorruptImageError(`CMYK JPEG decoder: ${reason}`, { cause: error })
  }
  const { width, height, data } = decoded
  if (width !== header.width || height !== header.height || data.length !== width * height * 3) {
    throw new CorruptImageError(
      `decoded ${width}×${height} but the header says ${header.width}×${header.height}`,
    )
  }
  return applyOrientation({ width, height, data }, readOrientation(bytes, 'jpeg'))
}
