import { need, u16be } from '../bytes.ts'
import { CorruptImageError } from '../errors.ts'

/** One marker segment. `start`..`end` is its payload, after the two length bytes. */
export interface JpegSegment {
  readonly marker: number
  readonly start: number
  readonly end: number
}

export const SOS = 0xda
export const EOI = 0xd9
export const APP1 = 0xe1
export const APP14 = 0xee

/** Markers that stand alone, without a length field (TEM, RST0-7). */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)
}

/**
 * Walks the marker segments after SOI, up to and including the first SOS (start of scan) or EOI.
 * Entropy-coded data is never walked: frame header and EXIF always come before the first scan.
 * Every step moves forward by at least two bytes, so hostile input cannot make this loop forever.
 */
export function* jpegSegments(bytes: Uint8Array): Generator<JpegSegment> {
  let pos = 2 // after SOI
  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) throw new CorruptImageError(`expected a JPEG marker at byte ${pos}`)
    while (bytes[pos] === 0xff) pos++ // 0xFF fill bytes may pad between segments
    need(bytes, pos + 1, 'JPEG marker')
    const marker = bytes[pos]!
    pos++
    if (isStandalone(marker)) continue
    if (marker === 0xd8) throw new CorruptImageError('second JPEG start-of-image marker')
    if (marker === 0x00) throw new CorruptImageError(`stray 0xFF00 at byte ${pos - 2}`)
    if (marker === EOI) {
      yield { marker, start: pos, end: pos }
      return
    }
    const length = u16be(bytes, pos, 'JPEG segment length')
    if (length < 2) throw new CorruptImageError(`JPEG segment length ${length} at byte ${pos}`)
    const end = pos + length
    need(bytes, end, `JPEG segment 0x${marker.toString(16)}`)
    yield { marker, start: pos + 2, end }
    if (marker === SOS) return
    pos = end
  }
}

/**
 * How many scans (SOS segments) a JPEG has, counting no further than `limit + 1`. Unlike
 * `jpegSegments` this walks past the first scan: it skips entropy-coded data (where 0xFF is only ever
 * followed by 0x00, a fill byte or a restart marker) and the marker segments between progressive
 * scans. Every step moves forward, so it finishes in one pass over the bytes whatever they hold.
 */
export function countScans(bytes: Uint8Array, limit: number): number {
  let scans = 0
  let pos = -1
  for (const segment of jpegSegments(bytes)) {
    if (segment.marker === SOS) {
      scans = 1
      pos = segment.end
    }
  }
  while (pos >= 0 && scans <= limit) {
    const at = bytes.indexOf(0xff, pos)
    if (at < 0 || at + 1 >= bytes.length) break
    const marker = bytes[at + 1]!
    if (marker === 0xff) pos = at + 1
    else if (marker === 0x00 || isStandalone(marker)) pos = at + 2
    else if (marker === EOI) break
    else {
      if (marker === SOS) scans++
      // A segment: skip its payload (a length below 2 still moves on by two bytes).
      pos = at + 2 + (at + 3 < bytes.length ? (bytes[at + 2]! << 8) | bytes[at + 3]! : 0)
    }
  }
  return scans
}
