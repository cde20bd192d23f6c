import { type Heatmap, renderHeatmap } from '@whisker/model-core'
import { modelInputWindow, type ResizePolicy, type RgbImage } from '@whisker/preprocess'
import sharp, { type Sharp } from 'sharp'

/** Side of the overlays `predict --explain` writes, in pixels: the model's own 224 × 224 view. */
export const OVERLAY_SIZE = 224

/**
 * The part of the photo the model saw (the card's crop window, e.g. the centred square) at `size` ×
 * `size`, with the heatmap laid over it (model-core's renderHeatmap: the same pixels the Worker and the
 * page draw). sharp composites and encodes.
 */
export function overlay(image: RgbImage, heatmap: Heatmap, policy: ResizePolicy, size = OVERLAY_SIZE): Sharp {
  const win = modelInputWindow(image.width, image.height, policy)
  const heat = renderHeatmap(heatmap, size)
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: win.x, top: win.y, width: win.width, height: win.height })
    .resize(size, size, { fit: 'fill' })
    .composite([
      {
        input: Buffer.from(heat.data.buffer, heat.data.byteOffset, heat.data.byteLength),
        raw: { width: size, height: size, channels: 4 },
      },
    ])
}

/** The overlay as a PNG file's bytes. */
export function overlayPng(image: RgbImage, heatmap: Heatmap, policy: ResizePolicy, size = OVERLAY_SIZE) {
  return overlay(image, heatmap, policy, size).png().toBuffer()
}
