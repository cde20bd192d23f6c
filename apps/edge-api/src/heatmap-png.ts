import pngModule from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm'
import encode, { init } from '@jsquash/png/encode.js'
import { HEATMAP_PNG_SIZE } from '@whisker/api-contract'
import { type Heatmap, pngDataUrl, renderHeatmap } from '@whisker/model-core'

let ready: Promise<unknown> | undefined

/**
 * The heatmap as a `data:image/png;base64,…` URL. The pixels are model-core's renderHeatmap (the same the
 * trainer and the page draw); the encoder is @jsquash/png's, whose wasm module is the very one the
 * decoder already bundles (squoosh_png holds both), so encoding PNGs adds no bytes to the upload.
 */
export async function heatmapDataUrl(heatmap: Heatmap, size = HEATMAP_PNG_SIZE): Promise<string> {
  ready ??= init(pngModule).catch((error: unknown) => {
    ready = undefined
    throw error
  })
  await ready
  const raster = renderHeatmap(heatmap, size)
  // @jsquash types its input as the DOM's ImageData, which workerd's types lack; it reads only these three.
  const image = { data: raster.data, width: raster.width, height: raster.height }
  const png = await encode(image as unknown as Parameters<typeof encode>[0])
  return pngDataUrl(new Uint8Array(png))
}
