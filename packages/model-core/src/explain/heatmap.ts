import type { ExplainSpec } from '../card.ts'

/** Where the model looked for one class: a small grid over the model's input, 1 where it counted most. */
export interface Heatmap {
  method: ExplainSpec['method']
  /** The class explained (the top class) and its index in the card's labels. */
  label: string
  classIndex: number
  /** Grid rows and columns: the feature map's resolution (7 × 7 for MobileNetV2 at 224 pixels). */
  height: number
  width: number
  /** height × width values in [0, 1], row-major, top row first; all 0 when nothing spoke for the class. */
  values: Float32Array
}

/** An RGBA raster, as canvases, @jsquash/png and sharp's raw input take it. */
export interface RgbaImage {
  width: number
  height: number
  /** width × height × 4 bytes, not premultiplied. */
  data: Uint8ClampedArray
}

/** The grid as rows of numbers rounded to `digits` decimals, for JSON answers. */
export function heatmapRows(heatmap: Heatmap, digits = 3): number[][] {
  const scale = 10 ** digits
  return Array.from({ length: heatmap.height }, (_, y) =>
    Array.from(
      heatmap.values.subarray(y * heatmap.width, (y + 1) * heatmap.width),
      (v) => Math.round(v * scale) / scale,
    ),
  )
}

/**
 * The colour map, from cold to hot: dark indigo, blue, teal, amber, red (stops spaced evenly, linear in
 * between; Whisker's own, in the spirit of "turbo"). Colour-blind readers still get the order from the
 * alpha ramp, which makes cold areas nearly clear and hot ones nearly opaque.
 */
const STOPS: readonly (readonly [number, number, number])[] = [
  [48, 18, 110],
  [30, 110, 235],
  [25, 190, 160],
  [250, 190, 30],
  [215, 25, 30],
]
/** Opacity at 0 and at 1: the photo stays visible under cold areas and is tinted strongly under hot ones. */
const ALPHA = { cold: 0.12, hot: 0.88 } as const

/** The colour map at t ∈ [0, 1]: [r, g, b, a], 0–255. */
export function heatColor(t: number): [number, number, number, number] {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0
  const at = v * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(at))
  const f = at - i
  const [r0, g0, b0] = STOPS[i]!
  const [r1, g1, b1] = STOPS[i + 1]!
  return [
    Math.round(r0 + (r1 - r0) * f),
    Math.round(g0 + (g1 - g0) * f),
    Math.round(b0 + (b1 - b0) * f),
    Math.round(255 * (ALPHA.cold + (ALPHA.hot - ALPHA.cold) * v)),
  ]
}

/**
 * The heatmap as a `size` × `size` RGBA picture to lay over the model's input (the centre crop for a
 * `center-crop` card): the grid upsampled bilinearly with pixel centres aligned (as tf.image.resizeBilinear
 * with halfPixelCenters and sharp do), then coloured. Pure TS, so the trainer, the Worker and the browser
 * draw the very same pixels; each encodes them with what it has (sharp, @jsquash/png, a canvas).
 */
export function renderHeatmap(heatmap: Heatmap, size: number): RgbaImage {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`bad heatmap size ${size}`)
  const { width: gw, height: gh, values } = heatmap
  const data = new Uint8ClampedArray(size * size * 4)
  const xs = sampling(gw, size)
  const ys = sampling(gh, size)
  for (let y = 0; y < size; y++) {
    const [y0, y1, fy] = ys[y]!
    for (let x = 0; x < size; x++) {
      const [x0, x1, fx] = xs[x]!
      const top = values[y0 * gw + x0]! * (1 - fx) + values[y0 * gw + x1]! * fx
      const bottom = values[y1 * gw + x0]! * (1 - fx) + values[y1 * gw + x1]! * fx
      data.set(heatColor(top * (1 - fy) + bottom * fy), (y * size + x) * 4)
    }
  }
  return { width: size, height: size, data }
}

/** For each output pixel: the two grid cells it falls between and the weight of the second. */
function sampling(cells: number, size: number): [number, number, number][] {
  return Array.from({ length: size }, (_, i) => {
    const at = Math.min(cells - 1, Math.max(0, ((i + 0.5) * cells) / size - 0.5))
    const lo = Math.floor(at)
    return [lo, Math.min(cells - 1, lo + 1), at - lo]
  })
}

/** `data:image/png;base64,…` for PNG bytes; btoa exists in Node, workerd and browsers alike. */
export function pngDataUrl(png: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < png.length; i += chunk) {
    binary += String.fromCharCode(...png.subarray(i, i + chunk))
  }
  return `data:image/png;base64,${btoa(binary)}`
}
