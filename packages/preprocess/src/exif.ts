import { startsWithAt } from './bytes.ts'
import { APP1, jpegSegments, SOS } from './container/jpeg.ts'
import { pngChunks } from './container/png.ts'
import { riffChunks } from './container/riff.ts'
import type { ImageFormat } from './types.ts'

/** 'Exif\0\0': the APP1 identifier, also found (non-standardly) at the start of PNG/WebP EXIF chunks. */
const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]
const ORIENTATION_TAG = 0x0112
const TYPE_SHORT = 3
const TYPE_LONG = 4

/**
 * The TIFF block holding EXIF, where each format keeps it: JPEG APP1 'Exif', PNG eXIf, WebP EXIF.
 * sharp honours orientation in all three, so the pure-TS path must find it in all three too.
 * Returns undefined when there is none; a malformed container just means "no EXIF".
 */
export function findExif(bytes: Uint8Array, format: ImageFormat): Uint8Array | undefined {
  try {
    const block = format === 'jpeg' ? jpegExif(bytes) : format === 'png' ? pngExif(bytes) : webpExif(bytes)
    return block && startsWithAt(block, 0, EXIF_ID) ? block.subarray(EXIF_ID.length) : block
  } catch {
    return undefined
  }
}

function jpegExif(bytes: Uint8Array): Uint8Array | undefined {
  for (const segment of jpegSegments(bytes)) {
    if (segment.marker === SOS) return undefined
    // Other APP1 payloads exist (XMP); only the one tagged 'Exif\0\0' is EXIF.
    if (segment.marker === APP1 && startsWithAt(bytes, segment.start, EXIF_ID)) {
      return bytes.subarray(segment.start, segment.end)
    }
  }
  return undefined
}

function pngExif(bytes: Uint8Array): Uint8Array | undefined {
  for (const chunk of pngChunks(bytes)) {
    if (chunk.type === 'eXIf') return bytes.subarray(chunk.start, chunk.end)
    if (chunk.type === 'IDAT') return undefined // eXIf must precede the image data
  }
  return undefined
}

function webpExif(bytes: Uint8Array): Uint8Array | undefined {
  for (const chunk of riffChunks(bytes)) {
    if (chunk.id === 'EXIF') return bytes.subarray(chunk.start, chunk.end)
  }
  return undefined
}

/**
 * The Orientation tag (0x0112) of IFD0 in a TIFF block, either byte order. Returns the raw value or
 * undefined; every offset is bounds-checked and the entry loop is capped by the block size.
 */
export function orientationTag(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined
  const little = tiff[0] === 0x49 && tiff[1] === 0x49 // 'II'
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d // 'MM'
  if (!little && !big) return undefined
  const u16 = (at: number): number =>
    little ? tiff[at]! | (tiff[at + 1]! << 8) : (tiff[at]! << 8) | tiff[at + 1]!
  const u32 = (at: number): number =>
    little ? u16(at) + u16(at + 2) * 0x10000 : u16(at) * 0x10000 + u16(at + 2)
  if (u16(2) !== 42) return undefined
  const ifd = u32(4)
  if (ifd + 2 > tiff.length) return undefined
  const count = u16(ifd)
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12
    if (entry + 12 > tiff.length) return undefined
    if (u16(entry) !== ORIENTATION_TAG) continue
    const type = u16(entry + 2)
    if (type === TYPE_SHORT) return u16(entry + 8)
    if (type === TYPE_LONG) return u32(entry + 8)
    return undefined
  }
  return undefined
}
