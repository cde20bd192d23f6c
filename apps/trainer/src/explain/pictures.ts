import sharp from 'sharp'

/** A picture as raw 8-bit pixels, `channels` per pixel (1 grey, 3 RGB), row-major. */
export interface Raster {
  readonly width: number
  readonly height: number
  readonly channels: 1 | 3
  readonly data: Uint8Array
}

/** Page colour between tiles. */
const BACKGROUND = 255

/** Enlarges by a whole factor, each pixel a square block: the grid of a small map stays visible. */
export function enlarge(raster: Raster, factor: number): Raster {
  if (factor === 1) return raster
  const { width, height, channels, data } = raster
  const out = new Uint8Array(width * factor * height * factor * channels)
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < width * factor; x++) {
      const from = (Math.floor(y / factor) * width + Math.floor(x / factor)) * channels
      out.set(data.subarray(from, from + channels), (y * width * factor + x) * channels)
    }
  }
  return { width: width * factor, height: height * factor, channels, data: out }
}

/** As RGB (grey repeated in each channel). */
function rgb(raster: Raster): Raster {
  if (raster.channels === 3) return raster
  const out = new Uint8Array(raster.data.length * 3)
  for (let i = 0; i < raster.data.length; i++) out.fill(raster.data[i]!, i * 3, i * 3 + 3)
  return { ...raster, channels: 3, data: out }
}

/**
 * Same-sized tiles in rows of `columns`, `gap` pixels of white between and around them, as an RGB raster.
 */
export function tile(tiles: readonly Raster[], columns: number, gap: number): Raster {
  const first = tiles[0]
  if (!first) throw new Error('no tiles to lay out')
  const cols = Math.min(columns, tiles.length)
  const rows = Math.ceil(tiles.length / cols)
  const width = cols * first.width + (cols + 1) * gap
  const height = rows * first.height + (rows + 1) * gap
  const data = new Uint8Array(width * height * 3).fill(BACKGROUND)
  for (const [i, t] of tiles.entries()) {
    if (t.width !== first.width || t.height !== first.height) throw new Error('tiles differ in size')
    const colour = rgb(t)
    const ox = gap + (i % cols) * (first.width + gap)
    const oy = gap + Math.floor(i / cols) * (first.height + gap)
    for (let y = 0; y < t.height; y++) {
      const row = colour.data.subarray(y * t.width * 3, (y + 1) * t.width * 3)
      data.set(row, ((oy + y) * width + ox) * 3)
    }
  }
  return { width, height, channels: 3, data }
}

/** Encodes a raster as PNG (sharp, the trainer's image library). */
export function png(raster: Raster): Promise<Buffer> {
  const { width, height, channels } = raster
  return sharp(raster.data, { raw: { width, height, channels } }).png({ compressionLevel: 9 }).toBuffer()
}

/** Values mapped linearly from [lo, hi] to 0–255 (all 0 when hi ≤ lo). */
export function stretch(values: ArrayLike<number>, lo: number, hi: number): Uint8Array {
  const out = new Uint8Array(values.length)
  if (!(hi > lo)) return out
  const scale = 255 / (hi - lo)
  for (let i = 0; i < values.length; i++)
    out[i] = Math.round(Math.min(255, Math.max(0, (values[i]! - lo) * scale)))
  return out
}

export function range(values: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY
  let hi = Number.NEGATIVE_INFINITY
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!)
    hi = Math.max(hi, values[i]!)
  }
  return [lo, hi]
}
