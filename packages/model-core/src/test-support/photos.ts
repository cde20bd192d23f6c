import { samplePhotos } from '@whisker/fixtures'
import { toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'

/** `count` real photos from ../shared as raw model inputs (size × size × 3 each, pixels in [0, 255]), back to back. */
export async function photoPixels(count: number, size = 224): Promise<Float32Array> {
  const photos = samplePhotos(count)
  const data = new Float32Array(photos.length * size * size * 3)
  for (const [i, photo] of photos.entries()) {
    const input = toModelInput(await decodeImage(photo.bytes), {
      mode: 'center-crop',
      size,
      filter: 'bilinear',
    })
    data.set(input, i * input.length)
  }
  return data
}
