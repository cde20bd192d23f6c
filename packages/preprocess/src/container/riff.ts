import { fourcc, need, u32le } from '../bytes.ts'

/** One RIFF chunk of a WebP file; `start`..`end` is its data. */
export interface RiffChunk {
  readonly id: string
  readonly start: number
  readonly end: number
}

/**
 * Walks the chunks inside 'RIFF....WEBP'. Chunks are padded to even sizes. Each step moves forward by
 * at least 8 bytes, so the walk is bounded by the input length.
 */
export function* riffChunks(bytes: Uint8Array): Generator<RiffChunk> {
  let pos = 12 // after 'RIFF', the size, 'WEBP'
  while (pos + 8 <= bytes.length) {
    const id = fourcc(bytes, pos, 'WebP chunk id')
    const size = u32le(bytes, pos + 4, 'WebP chunk size')
    const start = pos + 8
    const end = start + size
    need(bytes, end, `WebP ${id} chunk`)
    yield { id, start, end }
    pos = end + (size & 1)
  }
}
