import sharp, { type OutputInfo } from 'sharp'
import { CorruptImageError } from '../errors.ts'
import { BACKGROUND } from '../flatten.ts'
import { resolveLimits } from '../guards.ts'
import type { ImageDecoder, RgbImage } from '../types.ts'
import { admit } from './admit.ts'
import { decodeCmykJpeg } from './cmyk-jpeg.ts'

/**
 * The Node decoder (trainer, CLI): sharp/libvips at full resolution. Resizing is deliberately left to
 * `toModelInput`, the pure-TS resampler every runtime shares; sharp's own resize would differ slightly.
 *
 * - `failOn: 'error'` rejects corrupt and truncated data instead of painting it grey;
 * - `limitInputPixels` repeats the pixel budget inside libvips, as a second line of defence;
 * - `ignoreIcc` because the wasm codecs have no colour management: pixel values are taken as sRGB on
 *   every runtime, rather than converted on one and not on the others;
 * - `.rotate()` applies the EXIF orientation; `.flatten()` composites alpha onto white;
 * - `.toColourspace('srgb')` makes greyscale three channels and 16-bit eight.
 *
 * CMYK and YCCK JPEGs bypass sharp: libvips would convert them through a CMYK ICC profile that the
 * Worker does not have, so every runtime decodes them with the same pure-JS decoder instead.
 */
export const decodeImage: ImageDecoder = async (bytes, limits) => {
  const header = admit(bytes, limits)
  if (header.colourSpace) return decodeCmykJpeg(bytes, header, limits)
  const { maxPixels } = resolveLimits(limits)
  let raw: { data: Buffer; info: OutputInfo }
  try {
    raw = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', ignoreIcc: true })
      .rotate()
      .flatten({ background: BACKGROUND })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  } catch (error) {
    throw new CorruptImageError(sharpReason(error), { cause: error })
  }
  return toRgbImage(raw.data, raw.info)
}

/** sharp's messages look like "VipsJpeg: premature end of JPEG image"; keep the useful part. */
function sharpReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]!.trim() || 'the decoder failed'
}

function toRgbImage(data: Buffer, info: OutputInfo): RgbImage {
  if (info.channels !== 3) throw new CorruptImageError(`decoded to ${info.channels} channels, expected 3`)
  // A view, not a copy: the Buffer is ours alone (sharp allocated it for this call).
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  }
}
