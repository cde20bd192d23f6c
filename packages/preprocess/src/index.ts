/**
 * @whisker/preprocess — the one image-to-tensor contract. This entry is universal (Node, workerd,
 * browsers): no native code, no codecs. Decoders live behind `@whisker/preprocess/node` (sharp) and
 * `@whisker/preprocess/workers` (wasm).
 */
export { concatBytes } from './bytes.ts'
export { assertComplete } from './complete.ts'
export {
  CorruptImageError,
  EmptyImageError,
  ImageTooLargeError,
  PixelBudgetError,
  PreprocessError,
  type PreprocessErrorCode,
  UnsupportedImageTypeError,
} from './errors.ts'
export { BACKGROUND, flattenRgba } from './flatten.ts'
export { checkLimits, cmykPixelBudget, resolveLimits } from './guards.ts'
export { readImageHeader } from './header.ts'
export { applyOrientation, isOrientation, type Orientation, readOrientation, swapsAxes } from './orient.ts'
export { seededRandom } from './random.ts'
export { type CropWindow, modelInputWindow, toModelInput } from './resize.ts'
export { sha256Hex } from './sha256.ts'
export { sniffFormat } from './sniff.ts'
export {
  CMYK_PIXEL_COST,
  DEFAULT_LIMITS,
  type DecodeHint,
  type DecodeLimits,
  type ImageDecoder,
  type ImageFormat,
  type ImageHeader,
  type ResizePolicy,
  type RgbImage,
} from './types.ts'
