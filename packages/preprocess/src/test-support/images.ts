import sharp, { type Sharp } from 'sharp'
import type { RgbImage } from '../types.ts'
import { adobeJpeg, cmykJpeg, inkOf } from './cmyk.ts'

/**
 * Synthetic test images made with sharp. The pattern is asymmetric in both axes (red grows to the
 * right, green downwards, blue is a diagonal texture) so any flip or rotation is visible in the pixels.
 */
export function pattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      data[i] = Math.round((x * 255) / Math.max(1, width - 1))
      data[i + 1] = Math.round((y * 255) / Math.max(1, height - 1))
      data[i + 2] = ((x + 2 * y) * 16) % 256
    }
  }
  return { width, height, data }
}

/** RGBA pattern whose alpha runs 0 → 255 along x, so every coverage level gets composited. */
export function patternRgba(
  width: number,
  height: number,
): { width: number; height: number; data: Uint8Array } {
  const rgb = pattern(width, height)
  const data = new Uint8Array(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    data.set(rgb.data.subarray(p * 3, p * 3 + 3), p * 4)
    data[p * 4 + 3] = Math.round(((p % width) * 255) / Math.max(1, width - 1))
  }
  return { width, height, data }
}

export function fromRaw(img: { width: number; height: number; data: Uint8Array }, channels: 1 | 2 | 3 | 4) {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels } })
}

export async function toBytes(pipeline: Sharp): Promise<Uint8Array> {
  return new Uint8Array(await pipeline.toBuffer())
}

/** One of each encoding the decoders must handle, all width × height. */
export async function formatMatrix(width = 48, height = 32): Promise<Record<string, Uint8Array>> {
  const rgb = pattern(width, height)
  const rgba = patternRgba(width, height)
  const grey = { width, height, data: rgb.data.filter((_, i) => i % 3 === 1) }
  const cmyk = await cmykJpeg(rgb)
  return {
    'JPEG baseline': await toBytes(fromRaw(rgb, 3).jpeg({ quality: 90 })),
    'JPEG progressive': await toBytes(fromRaw(rgb, 3).jpeg({ quality: 90, progressive: true })),
    'JPEG 4:4:4': await toBytes(fromRaw(rgb, 3).jpeg({ quality: 95, chromaSubsampling: '4:4:4' })),
    // 'b-w', or libvips writes a 1-band image as a 3-component JPEG.
    'JPEG greyscale': await toBytes(fromRaw(grey, 1).toColourspace('b-w').jpeg({ quality: 90 })),
    'JPEG CMYK': cmyk,
    'JPEG CMYK progressive': await cmykJpeg(rgb, { progressive: true }),
    'JPEG YCCK': await adobeJpeg(await inkOf(cmyk), 'ycck'),
    'PNG 8-bit RGB': await toBytes(fromRaw(rgb, 3).png()),
    'PNG 16-bit RGB': await toBytes(fromRaw(rgb, 3).toColourspace('rgb16').png()),
    'PNG palette': await toBytes(fromRaw(rgb, 3).png({ palette: true, colours: 64 })),
    'PNG RGBA': await toBytes(fromRaw(rgba, 4).png()),
    'PNG greyscale': await toBytes(fromRaw(grey, 1).png()),
    'WebP lossy': await toBytes(fromRaw(rgb, 3).webp({ quality: 90 })),
    'WebP lossless': await toBytes(fromRaw(rgb, 3).webp({ lossless: true })),
    'WebP lossless RGBA': await toBytes(fromRaw(rgba, 4).webp({ lossless: true })),
    'WebP lossy RGBA (VP8X)': await toBytes(fromRaw(rgba, 4).webp({ quality: 90 })),
  }
}

/** Encodes `img` with an EXIF Orientation tag written by sharp (libexif). */
export async function withOrientation(
  img: RgbImage,
  format: 'jpeg' | 'png' | 'webp',
  orientation: number,
): Promise<Uint8Array> {
  const base = fromRaw(img, 3).withMetadata({ orientation })
  if (format === 'jpeg') return toBytes(base.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }))
  if (format === 'png') return toBytes(base.png())
  return toBytes(base.webp({ lossless: true }))
}

/**
 * Inserts a hand-built APP1 'Exif' segment with the given byte order right after SOI, so both TIFF
 * byte orders are covered whatever libexif chooses to write.
 */
export function insertExif(jpeg: Uint8Array, orientation: number, order: 'II' | 'MM'): Uint8Array {
  const little = order === 'II'
  const tiff = new Uint8Array(8 + 2 + 12 + 4)
  const view = new DataView(tiff.buffer)
  tiff.set([order.charCodeAt(0), order.charCodeAt(1)])
  view.setUint16(2, 42, little)
  view.setUint32(4, 8, little) // IFD0 right after the header
  view.setUint16(8, 1, little) // one entry
  view.setUint16(10, 0x0112, little) // Orientation
  view.setUint16(12, 3, little) // SHORT
  view.setUint32(14, 1, little) // count 1
  view.setUint16(18, orientation, little) // value, left-justified in the 4-byte field
  view.setUint32(22, 0, little) // no next IFD
  const payload = new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff]) // 'Exif\0\0' + TIFF
  const segment = new Uint8Array([
    0xff,
    0xe1,
    (payload.length + 2) >> 8,
    (payload.length + 2) & 0xff,
    ...payload,
  ])
  const out = new Uint8Array(jpeg.length + segment.length)
  out.set(jpeg.subarray(0, 2))
  out.set(segment, 2)
  out.set(jpeg.subarray(2), 2 + segment.length)
  return out
}

/** A syntactically valid JPEG prefix (SOI + SOF0) claiming any size: a decompression bomb's header. */
export function jpegHeaderClaiming(width: number, height: number): Uint8Array {
  return new Uint8Array([
    0xff,
    0xd8, // SOI
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08, // SOF0, length 17, 8-bit
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01, // 3 components
    0xff,
    0xd9, // EOI
  ])
}
