import { concatBytes } from '@whisker/preprocess'

/**
 * A minimal PNG writer for test fixtures, using only web APIs (CompressionStream), so the same code runs in
 * Node (global setup) and in workerd (the tests). Not for production: no filtering, one IDAT chunk.
 */

export interface RgbPixels {
  width: number
  height: number
  /** width × height × 3 bytes, row-major RGB. */
  data: Uint8Array
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** A complete 8-bit truecolour PNG. */
export async function encodePng(image: RgbPixels): Promise<Uint8Array> {
  const rowBytes = image.width * 3
  const scanlines = new Uint8Array(image.height * (rowBytes + 1)) // each row: filter byte 0, then pixels
  for (let y = 0; y < image.height; y++) {
    scanlines.set(image.data.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1)
  }
  const idat = await deflate(scanlines)
  return concatBytes([
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', ihdr(image.width, image.height)),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ])
}

/** Signature and IHDR only: what a decompression bomb looks like before its first pixel. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  return concatBytes([Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr(width, height))])
}

function ihdr(width: number, height: number): Uint8Array {
  const data = new Uint8Array(13)
  const view = new DataView(data.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  data[8] = 8 // bit depth
  data[9] = 2 // colour type: truecolour
  return data // compression, filter and interlace methods: 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate')) // zlib format
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
