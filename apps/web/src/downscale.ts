/**
 * Downscaling in the browser before upload, to save mobile data: the model looks at 224 × 224 pixels, so a
 * 12 MP phone photo (3-5 MB) carries about 50 times more pixels than it can use. Photos are decoded with
 * their EXIF orientation applied, shrunk so their long side is at most {@link MAX_SIDE} pixels (never
 * enlarged) and re-encoded as JPEG. Small JPEG, PNG and WebP files are sent exactly as they are.
 *
 * The planning is pure (and unit-tested); {@link prepareUpload} does the decoding and drawing with the
 * browser's `createImageBitmap` and a canvas.
 */

/** Long side of what is uploaded, in pixels: twice the model's 224 px input, room for its centre crop. */
export const MAX_SIDE = 512
export const JPEG_QUALITY = 0.9
/** Long side of the thumbnail kept with each recent result (2× a 48 px CSS box). */
export const THUMB_SIDE = 96
export const THUMB_QUALITY = 0.7

/** Formats the Worker decodes. Anything else the browser can read (GIF, BMP, AVIF, HEIC…) is re-encoded. */
const SENDABLE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])

export interface Size {
  readonly width: number
  readonly height: number
}

/** The largest size with the same aspect ratio whose long side is at most `maxSide`; never larger than `size`. */
export function fitWithin(size: Size, maxSide: number): Size {
  const { width, height } = size
  const long = Math.max(width, height)
  if (long <= maxSide) return { width, height }
  const scale = maxSide / long
  return {
    width: Math.max(1, Math.min(maxSide, Math.round(width * scale))),
    height: Math.max(1, Math.min(maxSide, Math.round(height * scale))),
  }
}

export type UploadPlan =
  /** Send the file's own bytes. */
  | { readonly kind: 'keep' }
  /** Draw the decoded image at this size and send it as JPEG. */
  | { readonly kind: 'encode'; readonly width: number; readonly height: number }

/** What to send for a decoded image of `size` (oriented) from a file of MIME `type`. */
export function planUpload(size: Size, type: string, maxSide = MAX_SIDE): UploadPlan {
  const target = fitWithin(size, maxSide)
  const small = target.width === size.width && target.height === size.height
  if (small && SENDABLE_TYPES.has(type.toLowerCase())) return { kind: 'keep' }
  return { kind: 'encode', ...target }
}

/** What {@link prepareUpload} made of a file. */
export interface Upload {
  /** The bytes to send (or classify on this device). */
  readonly blob: Blob
  /** Size of the original file, in bytes. */
  readonly originalBytes: number
  /** Oriented pixel size of the original, when the browser could decode it. */
  readonly original?: Size
  /** Pixel size of `blob`, when known. */
  readonly sent?: Size
  /** `blob` was drawn and re-encoded (as opposed to the file itself). */
  readonly reencoded: boolean
  /** A small JPEG `data:` URL for the recent-results list, when the browser could decode the file. */
  readonly thumbnail?: string
}

export interface PrepareOptions {
  readonly maxSide?: number
  readonly quality?: number
}

/**
 * Decodes `file` (EXIF orientation applied) and returns what to upload: the file itself when it is a small
 * JPEG/PNG/WebP, else a JPEG at most `maxSide` pixels long. A file the browser cannot decode is returned
 * unchanged, for the Worker to judge and explain. Never throws for undecodable input.
 */
export async function prepareUpload(file: File, options: PrepareOptions = {}): Promise<Upload> {
  const maxSide = options.maxSide ?? MAX_SIDE
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  } catch {
    return { blob: file, originalBytes: file.size, reencoded: false }
  }
  try {
    const original = { width: bitmap.width, height: bitmap.height }
    const plan = planUpload(original, file.type, maxSide)
    const thumbnail = drawThumbnail(bitmap)
    const base = { originalBytes: file.size, original, ...(thumbnail === undefined ? {} : { thumbnail }) }
    if (plan.kind === 'keep') return { ...base, blob: file, sent: original, reencoded: false }
    const blob = await encodeJpeg(bitmap, plan, options.quality ?? JPEG_QUALITY)
    return { ...base, blob, sent: { width: plan.width, height: plan.height }, reencoded: true }
  } finally {
    bitmap.close()
  }
}

/** Draws `bitmap` at `size` on white (JPEG has no alpha; the Worker also flattens transparency on white). */
function draw(bitmap: ImageBitmap, size: Size): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  canvas.width = size.width
  canvas.height = size.height
  const context = canvas.getContext('2d')
  if (!context) throw new Error('no 2D canvas')
  context.fillStyle = '#ffffff'
  context.fillRect(0, 0, size.width, size.height)
  context.imageSmoothingEnabled = true
  context.imageSmoothingQuality = 'high'
  context.drawImage(bitmap, 0, 0, size.width, size.height)
  return canvas
}

function encodeJpeg(bitmap: ImageBitmap, size: Size, quality: number): Promise<Blob> {
  const canvas = draw(bitmap, size)
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the canvas could not be encoded'))),
      'image/jpeg',
      quality,
    )
  })
}

function drawThumbnail(bitmap: ImageBitmap): string | undefined {
  try {
    return draw(bitmap, fitWithin(bitmap, THUMB_SIDE)).toDataURL('image/jpeg', THUMB_QUALITY)
  } catch {
    return undefined // a thumbnail is a nicety; the upload goes ahead without one
  }
}
