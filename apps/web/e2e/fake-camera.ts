import { writeFile } from 'node:fs/promises'
import sharp from 'sharp'

/**
 * Writes `photo` as a one-frame Y4M video (what Chromium's `--use-file-for-fake-video-capture` plays, in a
 * loop): the photo scaled to cover `width` × `height` and cropped centrally, so the fake camera films
 * that real photo. 4:2:0 YCbCr with BT.601 studio-range coefficients, as Chromium converts it back.
 */
export async function writeY4m(photo: string, path: string, width = 640, height = 480): Promise<void> {
  const rgb = await sharp(photo)
    .rotate()
    .resize(width, height, { fit: 'cover' })
    .removeAlpha()
    .raw()
    .toBuffer()
  const y = Buffer.alloc(width * height)
  const u = Buffer.alloc((width / 2) * (height / 2))
  const v = Buffer.alloc((width / 2) * (height / 2))
  const at = (x: number, row: number) => (row * width + x) * 3
  for (let row = 0; row < height; row++) {
    for (let x = 0; x < width; x++) {
      const i = at(x, row)
      const [r, g, b] = [rgb[i] as number, rgb[i + 1] as number, rgb[i + 2] as number]
      y[row * width + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b)
    }
  }
  for (let row = 0; row < height; row += 2) {
    for (let x = 0; x < width; x += 2) {
      let [r, g, b] = [0, 0, 0]
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = at(x + dx, row + dy)
        r += (rgb[i] as number) / 4
        g += (rgb[i + 1] as number) / 4
        b += (rgb[i + 2] as number) / 4
      }
      const o = (row / 2) * (width / 2) + x / 2
      u[o] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b)
      v[o] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    }
  }
  const header = `YUV4MPEG2 W${width} H${height} F20:1 Ip A1:1 C420jpeg\nFRAME\n`
  await writeFile(path, Buffer.concat([Buffer.from(header, 'ascii'), y, u, v]))
}
