/** Formats Whisker accepts, identified from magic bytes only. */
export type ImageFormat = 'jpeg' | 'png' | 'webp'

/** Decoded pixels: 8-bit sRGB, 3 channels, row-major, no alpha, EXIF orientation already applied. */
export interface RgbImage {
  readonly width: number
  readonly height: number
  /** length = width × height × 3 */
  readonly data: Uint8Array
  /**
   * Set only when a decoder took a `DecodeHint` and decoded smaller than the stored image (JPEG DCT
   * scaling): the full image's size, oriented like `width` and `height`. Lets a caller map a region of
   * these pixels back onto the photo.
   */
  readonly source?: { readonly width: number; readonly height: number }
}

/** What the header says, read before any pixel is decoded. */
export interface ImageHeader {
  readonly format: ImageFormat
  readonly width: number
  readonly height: number
  /**
   * Set only for 4-component JPEGs: `'cmyk'` or `'ycck'`, as their Adobe APP14 marker says (transform 0
   * or 2). Every runtime decodes these with the same pure-JS decoder (`decode/cmyk-jpeg.ts`).
   */
  readonly colourSpace?: 'cmyk' | 'ycck'
  /**
   * Set for a progressive (SOF2) JPEG of 1 or 3 components: libjpeg must keep every DCT coefficient of
   * the image (2 bytes each) to decode it, so it costs memory by its pixels even when decoded scaled.
   */
  readonly progressive?: true
}

/** Budgets checked from the header before the full decode. */
export interface DecodeLimits {
  /** Largest accepted input, in bytes. */
  readonly maxBytes: number
  /** Largest accepted width × height. */
  readonly maxPixels: number
  /**
   * Largest width × height for images no decoder can shrink while decoding: PNG, WebP and progressive
   * JPEG (a baseline JPEG decoded with a `DecodeHint` never exists at full size). Unset: `maxPixels`.
   * A host with little memory (a Worker) sets it below `maxPixels`.
   */
  readonly maxUnscaledPixels?: number
}

export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 10 * 1024 * 1024, maxPixels: 40_000_000 }

/**
 * A CMYK/YCCK JPEG counts this many times its pixels against `maxPixels`, because its pure-JS decoder
 * (jpeg-js) needs that much more memory. Measured in Node 24: a 2 MP CMYK JPEG peaks at +116 MiB of RSS
 * (about 58 bytes a pixel: a typed array per 8×8 block and component, then whole planes), while a 16 MP
 * RGB JPEG through the wasm decoder peaks at +83 MiB. At 12, a CMYK decode at its budget weighs no more
 * than the heaviest other decode: with the Worker's 16 MP that admits 1.33 MP CMYK, with the default 3.3 MP.
 */
export const CMYK_PIXEL_COST = 12

/**
 * What the pixels are for, so a decoder may do less work: with `minSide`, it may return a smaller image
 * whose shorter side still has at least `minSide` pixels (pass the model's input size). Without a hint,
 * decoders return full resolution. Only the wasm decoder acts on it, for JPEG (see README, "Scaled decode").
 */
export interface DecodeHint {
  readonly minSide: number
}

/** A runtime's decoder: bytes in, oriented RGB out. One implementation per runtime, same contract. */
export type ImageDecoder = (
  bytes: Uint8Array,
  limits?: Partial<DecodeLimits>,
  hint?: DecodeHint,
) => Promise<RgbImage>

/**
 * How pixels become the model's input. Recorded in the model card so every runtime resizes the same way.
 * `center-crop`: scale the shorter side to `size`, cut the centre square. `stretch`: scale each axis to `size`.
 */
export interface ResizePolicy {
  readonly mode: 'center-crop' | 'stretch'
  readonly size: number
  readonly filter: 'bilinear'
}
