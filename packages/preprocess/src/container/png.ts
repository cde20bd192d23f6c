import { fourcc, need, u32be } from '../bytes.ts'
import { CorruptImageError } from '../errors.ts'

/** One chunk; `start`..`end` is its data (the CRC after it is not checked here: the codecs do). */
export interface PngChunk {
  readonly type: string
  readonly start: number
  readonly end: number
}

const PNG_MAX_CHUNK = 0x7fffffff // the spec caps chunk lengths at 2^31 - 1

/**
 * Walks chunks after the signature up to and including IEND. Ends quietly when the bytes run out
 * exactly between chunks (callers decide whether a missing IEND matters); a chunk cut short throws.
 * Each step moves forward by at least 12 bytes, so the walk is bounded by the input length.
 */
export function* pngChunks(bytes: Uint8Array): Generator<PngChunk> {
  let pos = 8 // after the signature
  while (pos < bytes.length) {
    const length = u32be(bytes, pos, 'PNG chunk length')
    const type = fourcc(bytes, pos + 4, 'PNG chunk type')
    if (length > PNG_MAX_CHUNK) throw new CorruptImageError(`PNG ${type} chunk length ${length}`)
    const start = pos + 8
    const end = start + length
    need(bytes, end + 4, `PNG ${type} chunk`)
    yield { type, start, end }
    if (type === 'IEND') return
    pos = end + 4
  }
}
