import { startsWithAt } from './bytes.ts'
import { EmptyImageError, UnsupportedImageTypeError } from './errors.ts'
import type { ImageFormat } from './types.ts'

const JPEG_SOI = [0xff, 0xd8, 0xff]
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const RIFF = [0x52, 0x49, 0x46, 0x46] // 'RIFF'
const WEBP = [0x57, 0x45, 0x42, 0x50] // 'WEBP'

/**
 * Formats people commonly upload that we refuse, recognised only to say *what* was refused:
 * "HEIC" tells an iPhone user what to change, "not a JPEG, PNG or WebP" does not.
 */
const KNOWN_UNSUPPORTED: ReadonlyArray<{ name: string; at: number; magic: readonly number[] }> = [
  { name: 'GIF', at: 0, magic: [0x47, 0x49, 0x46, 0x38] }, // 'GIF8'
  { name: 'BMP', at: 0, magic: [0x42, 0x4d] }, // 'BM'
  { name: 'TIFF', at: 0, magic: [0x49, 0x49, 0x2a, 0x00] }, // 'II*\0'
  { name: 'TIFF', at: 0, magic: [0x4d, 0x4d, 0x00, 0x2a] }, // 'MM\0*'
  { name: 'PDF', at: 0, magic: [0x25, 0x50, 0x44, 0x46] }, // '%PDF'
  { name: 'HEIC/AVIF', at: 4, magic: [0x66, 0x74, 0x79, 0x70] }, // ISO-BMFF 'ftyp' box
]

/**
 * Identifies the format from its magic bytes only: never from a file name or a Content-Type, which
 * clients get wrong, and without parsing anything past the signature.
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) throw new EmptyImageError()
  if (startsWithAt(bytes, 0, JPEG_SOI)) return 'jpeg'
  if (startsWithAt(bytes, 0, PNG_SIGNATURE)) return 'png'
  if (startsWithAt(bytes, 0, RIFF) && startsWithAt(bytes, 8, WEBP)) return 'webp'
  const known = KNOWN_UNSUPPORTED.find((k) => startsWithAt(bytes, k.at, k.magic))
  throw new UnsupportedImageTypeError(known ? known.name : undefined)
}
