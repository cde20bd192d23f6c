import { u32le } from './bytes.ts'
import { countScans, EOI, jpegSegments, SOS } from './container/jpeg.ts'
import { pngChunks } from './container/png.ts'
import { CorruptImageError } from './errors.ts'
import type { ImageFormat } from './types.ts'

/**
 * Refuses files cut short (an interrupted upload). libjpeg only *warns* on a truncated JPEG and paints
 * the missing rows grey; sharp turns that warning into an error but the wasm codec does not. Checking
 * the structure here, once, makes every runtime refuse exactly the same files.
 */
export function assertComplete(bytes: Uint8Array, format: ImageFormat): void {
  if (format === 'jpeg') assertJpegComplete(bytes)
  else if (format === 'png') assertPngComplete(bytes)
  else assertWebpComplete(bytes)
}

/**
 * A JPEG is complete when an EOI marker follows its first scan. Inside entropy-coded data 0xFF is
 * always followed by 0x00 or a restart marker, so 0xFF 0xD9 after SOS can only be EOI. Searching
 * backwards finds it at once in the usual case (EOI is the last two bytes) and tolerates trailing junk.
 */
function assertJpegComplete(bytes: Uint8Array): void {
  let scanStart = -1
  for (const segment of jpegSegments(bytes)) {
    if (segment.marker === EOI) throw new CorruptImageError('JPEG ends before its first scan')
    if (segment.marker === SOS) scanStart = segment.end
  }
  if (scanStart < 0) throw new CorruptImageError('JPEG has no scan data')
  let ended = false
  for (let i = bytes.length - 2; i >= scanStart && !ended; i--)
    ended = bytes[i] === 0xff && bytes[i + 1] === EOI
  if (!ended) throw new CorruptImageError('truncated JPEG: no end-of-image marker after the scan data')
  // Every decoder re-reads the whole image once per progressive scan: a small file with thousands of
  // empty scans would keep any of them busy for minutes. Real encoders write about ten.
  if (countScans(bytes, MAX_JPEG_SCANS) > MAX_JPEG_SCANS) {
    throw new CorruptImageError(`JPEG with more than ${MAX_JPEG_SCANS} scans`)
  }
}

/** Far above any real encoder's progressive script (libjpeg writes 10, mozjpeg a few more). */
export const MAX_JPEG_SCANS = 64

/** A PNG is complete when its chunk walk reaches IEND (the walk itself throws on a chunk cut short). */
function assertPngComplete(bytes: Uint8Array): void {
  for (const chunk of pngChunks(bytes)) if (chunk.type === 'IEND') return
  throw new CorruptImageError('truncated PNG: no IEND chunk')
}

/** A WebP is complete when the file holds as many bytes as its RIFF header announces. */
function assertWebpComplete(bytes: Uint8Array): void {
  const riffSize = u32le(bytes, 4, 'WebP RIFF size')
  if (bytes.length < 8 + riffSize) {
    throw new CorruptImageError(`truncated WebP: ${bytes.length} of ${8 + riffSize} bytes`)
  }
}
