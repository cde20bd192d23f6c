import sharp, { type Sharp } from 'sharp'
import { concatBytes } from '../bytes.ts'
import { jpegSegments, SOS } from '../container/jpeg.ts'
import type { RgbImage } from '../types.ts'

/** Four ink planes interleaved, C M Y K, 0 = no ink (libvips' CMYK convention). */
export interface InkImage {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/** An Adobe CMYK JPEG (APP14 transform 0, inverted samples) as sharp writes it: sRGB → CMYK by ICC. */
export function cmykJpeg(
  img: RgbImage,
  options: { progressive?: boolean; quality?: number } = {},
): Promise<Uint8Array> {
  const { quality = 95, progressive = false } = options
  return encode(raw(img, 3).toColourspace('cmyk').jpeg({ quality, chromaSubsampling: '4:4:4', progressive }))
}

/** The ink values libjpeg (through sharp) decodes from a CMYK or YCCK JPEG, before any ICC conversion. */
export async function inkOf(jpeg: Uint8Array): Promise<InkImage> {
  const { data, info } = await sharp(jpeg)
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 4) throw new Error(`expected 4 ink channels, got ${info.channels}`)
  return { width: info.width, height: info.height, data: new Uint8Array(data) }
}

/** The RGB the Adobe convention gives for ink values: R = (255 − C)(255 − K) / 255, truncated. */
export function inkToRgb(ink: InkImage): RgbImage {
  const pixels = ink.width * ink.height
  const data = new Uint8Array(pixels * 3)
  for (let p = 0; p < pixels; p++) {
    const k = 255 - ink.data[p * 4 + 3]!
    for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.trunc(((255 - ink.data[p * 4 + c]!) * k) / 255)
  }
  return { width: ink.width, height: ink.height, data }
}

/**
 * An Adobe JPEG holding exactly the given inks, as plain CMYK (transform 0) or YCCK (transform 2).
 * libvips only writes CMYK, and only after an ICC conversion, so this splices JPEGs that sharp writes:
 * - CMYK: four greyscale JPEGs, one per ink, each holding 255 − ink (Adobe CMYK is stored inverted);
 * - YCCK: an RGB JPEG whose "RGB" is the C, M, Y inks (YCCK is YCbCr applied to them), and a
 *   greyscale one holding 255 − K.
 * The result is a sequential JPEG with one scan per part, each part's quantisation tables renumbered
 * and its Huffman tables (re)defined just before its scan.
 */
export async function adobeJpeg(
  ink: InkImage,
  transform: 'cmyk' | 'ycck',
  quality = 95,
): Promise<Uint8Array> {
  const { width, height } = ink
  const pixels = width * height
  const plane = (channels: number[], invert: boolean) => {
    const data = new Uint8Array(pixels * channels.length)
    for (let p = 0; p < pixels; p++) {
      for (const [i, c] of channels.entries()) {
        const v = ink.data[p * 4 + c]!
        data[p * channels.length + i] = invert ? 255 - v : v
      }
    }
    return { width, height, data }
  }
  const grey = async (c: number) =>
    parse(
      await encode(
        raw(plane([c], true), 1)
          .toColourspace('b-w')
          .jpeg({ quality }),
      ),
    )
  const parts =
    transform === 'cmyk'
      ? await Promise.all([0, 1, 2, 3].map(grey))
      : [
          parse(await encode(raw(plane([0, 1, 2], false), 3).jpeg({ quality, chromaSubsampling: '4:4:4' }))),
          await grey(3),
        ]
  // 'Adobe', version 100, no flags, then the transform code.
  const adobe = [0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0, 0, 0, 0, transform === 'cmyk' ? 0 : 2]
  const tables: Uint8Array[] = []
  const sof: number[] = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 4]
  let nextTable = 0
  let nextComponent = 1
  const scans: Uint8Array[] = []
  for (const part of parts) {
    const tableIds = new Map<number, number>()
    for (const dqt of part.segments.filter((s) => s.marker === 0xdb)) {
      const payload = dqt.payload.slice()
      for (let at = 0; at < payload.length; at += 1 + 64 * ((payload[at]! >> 4) + 1)) {
        tableIds.set(payload[at]! & 0x0f, nextTable)
        payload[at] = (payload[at]! & 0xf0) | nextTable++
      }
      tables.push(segment(0xdb, payload))
    }
    const frame = part.segments.find((s) => s.marker === 0xc0)!.payload
    const ids = new Map<number, number>()
    for (let c = 0; c < frame[5]!; c++) {
      const [id, sampling, table] = frame.subarray(6 + c * 3, 9 + c * 3)
      if (sampling !== 0x11) throw new Error('expected 4:4:4 (every sampling factor 1)')
      ids.set(id!, nextComponent)
      sof.push(nextComponent++, sampling, tableIds.get(table!)!)
    }
    for (const dht of part.segments.filter((s) => s.marker === 0xc4)) scans.push(segment(0xc4, dht.payload))
    const sos = part.segments.find((s) => s.marker === SOS)!.payload.slice()
    for (let c = 0; c < sos[0]!; c++) sos[1 + c * 2] = ids.get(sos[1 + c * 2]!)!
    scans.push(segment(SOS, sos), part.scan)
  }
  if (sof.length !== 6 + 4 * 3) throw new Error('expected 4 components')
  const soi = new Uint8Array([0xff, 0xd8])
  const eoi = new Uint8Array([0xff, 0xd9])
  return concatBytes([soi, segment(0xee, adobe), ...tables, segment(0xc0, sof), ...scans, eoi])
}

const raw = (img: { width: number; height: number; data: Uint8Array }, channels: 1 | 3) =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels } })
const encode = async (pipeline: Sharp) => new Uint8Array(await pipeline.toBuffer())

/** A baseline single-scan JPEG as sharp writes it: its marker segments, then the entropy-coded scan. */
function parse(jpeg: Uint8Array): {
  segments: Array<{ marker: number; payload: Uint8Array }>
  scan: Uint8Array
} {
  if (jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) throw new Error('expected EOI last')
  const segments = [...jpegSegments(jpeg)].map((s) => ({
    marker: s.marker,
    payload: jpeg.subarray(s.start, s.end),
    end: s.end,
  }))
  const sos = segments.at(-1)!
  if (sos.marker !== SOS) throw new Error('expected a scan')
  return { segments, scan: jpeg.subarray(sos.end, jpeg.length - 2) }
}

function segment(marker: number, payload: ArrayLike<number>): Uint8Array {
  const length = payload.length + 2
  const out = new Uint8Array(length + 2)
  out.set([0xff, marker, length >> 8, length & 0xff])
  out.set(payload, 4)
  return out
}
