/** Formats Whisker accepts, identified from magic bytes only. */
export type ImageFormat = 'jpeg' | 'png' | 'webp'

/** Decoded pixels: 8-bit sRGB, 3 channels, row-major, no alpha, EXIF orientation already applied. */
export interface RgbImage {
  readonly width: number
  readonly height: number
  /** length = width × height × 3 */
  readonly data: Uint8Array
}

/** What the header says, read before any pixel is decoded. */
export interface ImageHeader {
  readonly format: ImageFormat
  readonly width: number
  readonly height: number
}

/** Budgets checked from the header before the full decode. */
export interface DecodeLimits {
  /** Largest accepted input, in bytes. */
  readonly maxBytes: number
  /** Largest accepted width × height. */
  readonly maxPixels: number
}

export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 }

/** A runtime's decoder: bytes in, oriented RGB out. One implementation per runtime, same contract. */
export type ImageDecoder = (bytes: Uint8Array, limits?: Partial<DecodeLimits>) => Promise<RgbImage>

/**
 * How pixels become the model's input. Recorded in the model card so every runtime resizes the same way.
 * `center-crop`: scale the shorter side to `size`, cut the centre square. `stretch`: scale each axis to `size`.
 */
export interface ResizePolicy {
  readonly mode: 'center-crop' | 'stretch'
  readonly size: number
  readonly filter: 'bilinear'
}
