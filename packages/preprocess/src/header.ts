import { need, startsWithAt, u8, u16be, u16le, u24le, u32be } from './bytes.ts'
import { jpegSegments } from './container/jpeg.ts'
import { riffChunks } from './container/riff.ts'
import { CorruptImageError, UnsupportedImageTypeError } from './errors.ts'
import { sniffFormat } from './sniff.ts'
import type { ImageHeader } from './types.ts'

interface Size {
  readonly width: number
  readonly height: number
}

/**
 * Width and height from the header alone, without decoding a pixel: this is what lets the guards refuse
 * a 50000×50000 bomb before anything allocates. Variants that some runtime's codec cannot decode
 * (CMYK or lossless JPEG, animated WebP) are refused here, so every runtime refuses the same files.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffFormat(bytes)
  const size = format === 'jpeg' ? jpegSize(bytes) : format === 'png' ? pngSize(bytes) : webpSize(bytes)
  if (size.width < 1 || size.height < 1) {
    throw new CorruptImageError(`the header says ${size.width}×${size.height}`)
  }
  return { format, width: size.width, height: size.height }
}

// JPEG ----------------------------------------------------------------------------------------------

/** Frame types decoded by libjpeg-turbo (sharp) and mozjpeg (wasm) alike: Huffman or arithmetic,
 * sequential or progressive, 8-bit. */
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc9, 0xca])
/** Lossless and hierarchical frames: valid JPEG, but no decoder of ours handles them. */
const UNSUPPORTED_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xcb, 0xcd, 0xce, 0xcf])

function jpegSize(bytes: Uint8Array): Size {
  for (const segment of jpegSegments(bytes)) {
    if (UNSUPPORTED_SOF.has(segment.marker))
      throw new UnsupportedImageTypeError('lossless or hierarchical JPEG')
    if (!SUPPORTED_SOF.has(segment.marker)) continue
    need(bytes, segment.start + 6, 'JPEG frame header')
    const precision = u8(bytes, segment.start, 'JPEG precision')
    const height = u16be(bytes, segment.start + 1, 'JPEG height')
    const width = u16be(bytes, segment.start + 3, 'JPEG width')
    const components = u8(bytes, segment.start + 5, 'JPEG component count')
    if (precision !== 8) throw new UnsupportedImageTypeError(`${precision}-bit JPEG`)
    // The wasm decoder cannot convert CMYK/YCCK to RGB; refusing everywhere keeps runtimes identical.
    if (components === 4) throw new UnsupportedImageTypeError('CMYK JPEG')
    if (components !== 1 && components !== 3)
      throw new CorruptImageError(`JPEG with ${components} components`)
    // Height 0 means "defined later by a DNL marker", which neither codec supports.
    if (height === 0) throw new CorruptImageError('JPEG height deferred to a DNL marker')
    return { width, height }
  }
  throw new CorruptImageError('JPEG ends before its frame header (SOF)')
}

// PNG -----------------------------------------------------------------------------------------------

const IHDR = [0x49, 0x48, 0x44, 0x52]
/** Allowed bit depths per colour type (PNG spec, table 11.1). */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // truecolour
  3: [1, 2, 4, 8], // palette
  4: [8, 16], // greyscale + alpha
  6: [8, 16], // truecolour + alpha
}

function pngSize(bytes: Uint8Array): Size {
  // IHDR must be the first chunk and is exactly 13 bytes long.
  if (u32be(bytes, 8, 'PNG header') !== 13 || !startsWithAt(bytes, 12, IHDR)) {
    throw new CorruptImageError('PNG does not start with an IHDR chunk')
  }
  need(bytes, 33, 'PNG IHDR chunk')
  const width = u32be(bytes, 16, 'PNG width')
  const height = u32be(bytes, 20, 'PNG height')
  const depth = bytes[24]!
  const colourType = bytes[25]!
  if (width > 0x7fffffff || height > 0x7fffffff) throw new CorruptImageError('PNG dimension over 2^31 - 1')
  if (!PNG_DEPTHS[colourType]?.includes(depth)) {
    throw new CorruptImageError(`PNG colour type ${colourType} with bit depth ${depth}`)
  }
  return { width, height }
}

// WebP ----------------------------------------------------------------------------------------------

const VP8_START_CODE = [0x9d, 0x01, 0x2a]
const VP8L_SIGNATURE = 0x2f
const VP8X_ANIMATION = 0x02

function webpSize(bytes: Uint8Array): Size {
  // The first chunk decides the layout: simple lossy, simple lossless, or extended (VP8X).
  const first = riffChunks(bytes).next()
  if (first.done) throw new CorruptImageError('WebP has no chunks')
  const { id, start } = first.value
  if (id === 'VP8 ') return vp8Size(bytes, start)
  if (id === 'VP8L') return vp8lSize(bytes, start)
  if (id === 'VP8X') return vp8xSize(bytes, start)
  throw new CorruptImageError(`WebP starts with an unknown '${id}' chunk`)
}

/** Lossy bitstream: 3-byte frame tag, start code, then 14-bit width and height (2 bits of scale). */
function vp8Size(bytes: Uint8Array, start: number): Size {
  need(bytes, start + 10, 'WebP VP8 frame header')
  if ((bytes[start]! & 1) !== 0) throw new CorruptImageError('WebP VP8 data does not start with a key frame')
  if (!startsWithAt(bytes, start + 3, VP8_START_CODE))
    throw new CorruptImageError('WebP VP8 start code missing')
  return {
    width: u16le(bytes, start + 6, 'WebP width') & 0x3fff,
    height: u16le(bytes, start + 8, 'WebP height') & 0x3fff,
  }
}

/** Lossless bitstream: signature byte, then width-1 and height-1 packed as 14 bits each. */
function vp8lSize(bytes: Uint8Array, start: number): Size {
  need(bytes, start + 5, 'WebP VP8L header')
  if (bytes[start] !== VP8L_SIGNATURE) throw new CorruptImageError('WebP VP8L signature missing')
  const b1 = bytes[start + 1]!
  const b2 = bytes[start + 2]!
  const b3 = bytes[start + 3]!
  const b4 = bytes[start + 4]!
  return {
    width: 1 + (b1 | ((b2 & 0x3f) << 8)),
    height: 1 + ((b2 >> 6) | (b3 << 2) | ((b4 & 0x0f) << 10)),
  }
}

/** Extended format: flags, then the canvas width-1 and height-1 as 24-bit little-endian values. */
function vp8xSize(bytes: Uint8Array, start: number): Size {
  need(bytes, start + 10, 'WebP VP8X header')
  // Only the first frame would be decoded by sharp, and the wasm codec refuses animations outright.
  if ((bytes[start]! & VP8X_ANIMATION) !== 0) throw new UnsupportedImageTypeError('animated WebP')
  return {
    width: 1 + u24le(bytes, start + 4, 'WebP width'),
    height: 1 + u24le(bytes, start + 7, 'WebP height'),
  }
}
