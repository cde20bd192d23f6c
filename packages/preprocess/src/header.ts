import { need, startsWithAt, u8, u16be, u16le, u24le, u32be } from './bytes.ts'
import { APP14, type JpegSegment, jpegSegments } from './container/jpeg.ts'
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
 * (12-bit, lossless or hierarchical JPEG, animated WebP) are refused here, so every runtime refuses the
 * same files. CMYK and YCCK JPEGs are marked with `colourSpace`: the decoders route them to the one
 * pure-JS decoder they share. Other progressive JPEGs are marked `progressive` (see `maxUnscaledPixels`).
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffFormat(bytes)
  const size: JpegFrame =
    format === 'jpeg' ? jpegSize(bytes) : format === 'png' ? pngSize(bytes) : webpSize(bytes)
  if (size.width < 1 || size.height < 1) {
    throw new CorruptImageError(`the header says ${size.width}×${size.height}`)
  }
  const header: ImageHeader = { format, width: size.width, height: size.height }
  if (size.colourSpace) return { ...header, colourSpace: size.colourSpace }
  return size.progressive ? { ...header, progressive: true } : header
}

// JPEG ----------------------------------------------------------------------------------------------

/** Frame types every decoder reads (sharp, the wasm libjpeg-turbo, jpeg-js): Huffman-coded, sequential
 * or progressive, 8-bit. */
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2])
/** Arithmetic-coded frames: the Worker's libjpeg-turbo build (@cwasm/jpeg-turbo) has no arithmetic
 * decoder, nor has jpeg-js, so every runtime refuses them (no camera writes them). */
const ARITHMETIC_SOF = new Set([0xc9, 0xca])
/** Lossless and hierarchical frames: valid JPEG, but no decoder of ours handles them. */
const UNSUPPORTED_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xcb, 0xcd, 0xce, 0xcf])
/** 'Adobe' and the high byte of its version: the APP14 prefix jpeg-js looks for. */
const ADOBE_ID = [0x41, 0x64, 0x6f, 0x62, 0x65, 0x00]
/** Payload bytes of an Adobe APP14 marker: id, version, two flag words, then the transform code. */
const ADOBE_LENGTH = 12
/** The Adobe APP14 transform codes of a 4-component JPEG. */
const ADOBE_TRANSFORMS: Readonly<Record<number, 'cmyk' | 'ycck'>> = { 0: 'cmyk', 2: 'ycck' }

interface JpegFrame extends Size {
  readonly colourSpace?: 'cmyk' | 'ycck'
  readonly progressive?: true
}

const SOF_PROGRESSIVE = 0xc2

function jpegSize(bytes: Uint8Array): JpegFrame {
  let adobe: number | undefined // transform code of the last Adobe APP14 marker seen
  let cmyk: { frame: Size; marker: number } | undefined
  for (const segment of jpegSegments(bytes)) {
    if (segment.marker === APP14 && startsWithAt(bytes, segment.start, ADOBE_ID)) {
      // Ignored unless the frame has 4 components, as libjpeg does; -1 marks one too short to say.
      adobe = segment.end - segment.start >= ADOBE_LENGTH ? bytes[segment.start + 11]! : -1
      continue
    }
    if (cmyk) continue // a 4-component frame: only looking for the Adobe marker, up to the first scan
    if (UNSUPPORTED_SOF.has(segment.marker))
      throw new UnsupportedImageTypeError('lossless or hierarchical JPEG')
    if (ARITHMETIC_SOF.has(segment.marker)) throw new UnsupportedImageTypeError('arithmetic-coded JPEG')
    if (!SUPPORTED_SOF.has(segment.marker)) continue
    need(bytes, segment.start + 6, 'JPEG frame header')
    const precision = u8(bytes, segment.start, 'JPEG precision')
    const height = u16be(bytes, segment.start + 1, 'JPEG height')
    const width = u16be(bytes, segment.start + 3, 'JPEG width')
    const components = u8(bytes, segment.start + 5, 'JPEG component count')
    if (precision !== 8) throw new UnsupportedImageTypeError(`${precision}-bit JPEG`)
    if (components !== 1 && components !== 3 && components !== 4)
      throw new CorruptImageError(`JPEG with ${components} components`)
    // Height 0 means "defined later by a DNL marker", which none of our decoders supports.
    if (height === 0) throw new CorruptImageError('JPEG height deferred to a DNL marker')
    if (components !== 4)
      return segment.marker === SOF_PROGRESSIVE ? { width, height, progressive: true } : { width, height }
    assertSamplingFactors(bytes, segment, components)
    cmyk = { frame: { width, height }, marker: segment.marker }
  }
  if (!cmyk) throw new CorruptImageError('JPEG ends before its frame header (SOF)')
  return { ...cmyk.frame, colourSpace: cmykColourSpace(adobe) }
}

/**
 * CMYK and YCCK JPEGs are decoded by jpeg-js on every runtime (the wasm codec cannot convert them), so
 * they are admitted only with an Adobe marker saying which of the two it is (arithmetic-coded frames are
 * refused before this). Without one the channels' meaning (inverted or not, CMYK or YCCK) is a guess.
 */
function cmykColourSpace(adobe: number | undefined): 'cmyk' | 'ycck' {
  if (adobe === undefined)
    throw new UnsupportedImageTypeError('4-component JPEG without an Adobe marker (CMYK or YCCK?)')
  if (adobe < 0) throw new CorruptImageError('truncated JPEG Adobe marker')
  const colourSpace = ADOBE_TRANSFORMS[adobe]
  if (!colourSpace) throw new CorruptImageError(`4-component JPEG with Adobe transform ${adobe}`)
  return colourSpace
}

/** libjpeg's rule (1 to 4), which also bounds the padding jpeg-js allocates per MCU. */
function assertSamplingFactors(bytes: Uint8Array, sof: JpegSegment, components: number): void {
  if (sof.start + 6 + components * 3 > sof.end) throw new CorruptImageError('truncated JPEG frame header')
  for (let c = 0; c < components; c++) {
    const factors = bytes[sof.start + 6 + c * 3 + 1]!
    const h = factors >> 4
    const v = factors & 0x0f
    if (h < 1 || h > 4 || v < 1 || v > 4) throw new CorruptImageError(`JPEG sampling factors ${h}×${v}`)
  }
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
