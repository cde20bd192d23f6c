/** Stable codes clients and the Worker can map to responses without parsing messages. */
export type PreprocessErrorCode =
  | 'EMPTY_IMAGE'
  | 'UNSUPPORTED_TYPE'
  | 'CORRUPT_IMAGE'
  | 'TOO_MANY_BYTES'
  | 'TOO_MANY_PIXELS'

export class PreprocessError extends Error {
  readonly code: PreprocessErrorCode
  constructor(code: PreprocessErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

export class EmptyImageError extends PreprocessError {
  constructor() {
    super('EMPTY_IMAGE', 'The image is empty (0 bytes).')
  }
}

export class UnsupportedImageTypeError extends PreprocessError {
  constructor(detail = 'not a JPEG, PNG or WebP image') {
    super('UNSUPPORTED_TYPE', `Unsupported image type: ${detail}.`)
  }
}

export class CorruptImageError extends PreprocessError {
  constructor(reason: string, options?: ErrorOptions) {
    super('CORRUPT_IMAGE', `Corrupt image: ${reason}.`, options)
  }
}

export class ImageTooLargeError extends PreprocessError {
  readonly bytes: number
  readonly maxBytes: number
  constructor(bytes: number, maxBytes: number) {
    super('TOO_MANY_BYTES', `The image is ${bytes} bytes; the limit is ${maxBytes}.`)
    this.bytes = bytes
    this.maxBytes = maxBytes
  }
}

export class PixelBudgetError extends PreprocessError {
  readonly width: number
  readonly height: number
  readonly maxPixels: number
  /** `budgetFor` names a narrower budget than `maxPixels` itself, e.g. the one for CMYK JPEGs. */
  constructor(width: number, height: number, maxPixels: number, budgetFor?: string) {
    super(
      'TOO_MANY_PIXELS',
      `The image is ${width}×${height} (${width * height} pixels); the budget${budgetFor ? ` for ${budgetFor}` : ''} is ${maxPixels} pixels.`,
    )
    this.width = width
    this.height = height
    this.maxPixels = maxPixels
  }
}
