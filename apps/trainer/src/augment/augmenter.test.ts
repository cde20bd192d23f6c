import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { seededRandom, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULTS } from '../paths.ts'
import { augmentViews, createAugmenter, drawParams, type ViewKey } from './augmenter.ts'
import { AUGMENT_PRESETS, type AugmentSpec } from './presets.ts'

const SIZE = 96
const PHOTOS = ['cat.0.jpg', 'cat.1.jpg', 'dog.0.jpg', 'dog.1.jpg']
const { none, seed, strong } = AUGMENT_PRESETS
const only = (step: Partial<AugmentSpec>): AugmentSpec => ({ ...none, ...step })

/** Real photos from the shared training folder, as the trainer feeds them: 0–255, center-cropped. */
let photos: tf.Tensor4D

beforeAll(async () => {
  await tf.setBackend('cpu')
  const pixels = await Promise.all(
    PHOTOS.map(async (name) =>
      toModelInput(await decodeImage(await readFile(join(DEFAULTS.data, name))), {
        mode: 'center-crop',
        size: SIZE,
        filter: 'bilinear',
      }),
    ),
  )
  const batch = new Float32Array(PHOTOS.length * SIZE * SIZE * 3)
  for (const [i, image] of pixels.entries()) batch.set(image, i * image.length)
  photos = tf.tensor4d(batch, [PHOTOS.length, SIZE, SIZE, 3])
})

afterAll(() => {
  photos.dispose()
})

/** Runs `augment` and reads its result back, disposing the tensor. */
function values(augment: () => tf.Tensor): Float32Array {
  const out = augment()
  const data = out.dataSync() as Float32Array
  out.dispose()
  return data
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!)
  return sum / a.length
}

const imageOf = (batch: tf.Tensor4D, i: number) => tf.slice(batch, [i, 0, 0, 0], [1, -1, -1, -1])

describe('drawParams', () => {
  it('stays within the preset ranges and covers them, over many draws', () => {
    const random = seededRandom(1)
    const draws = Array.from({ length: 10_000 }, () => drawParams(strong, random))
    const span = (pick: (p: (typeof draws)[number]) => number): [number, number] => {
      const all = draws.map(pick)
      return [Math.min(...all), Math.max(...all)]
    }
    const degrees = Math.PI / 180
    const cases: [string, [number, number], number, number][] = [
      ['rotation', span((p) => p.rotation), -15 * degrees, 15 * degrees],
      ['shear', span((p) => p.shear), -0.2, 0.2],
      ['zoomX', span((p) => p.zoomX), 0.8, 1.2],
      ['zoomY', span((p) => p.zoomY), 0.8, 1.2],
      ['shiftX', span((p) => p.shiftX), -0.1, 0.1],
      ['shiftY', span((p) => p.shiftY), -0.1, 0.1],
      ['brightness', span((p) => p.brightness), 0.8, 1.2],
    ]
    for (const [name, [lo, hi], min, max] of cases) {
      expect(lo, name).toBeGreaterThanOrEqual(min)
      expect(hi, name).toBeLessThanOrEqual(max)
      // Filled, not squeezed into part of the range.
      expect(lo - min, name).toBeLessThan((max - min) * 0.01)
      expect(max - hi, name).toBeLessThan((max - min) * 0.01)
    }
    const flips = draws.filter((p) => p.flip).length / draws.length
    expect(flips).toBeGreaterThan(0.48)
    expect(flips).toBeLessThan(0.52)
  })

  it('draws zoom per axis independently, as Keras does', () => {
    const random = seededRandom(2)
    const draws = Array.from({ length: 100 }, () => drawParams(seed, random))
    expect(draws.filter((p) => p.zoomX !== p.zoomY)).toHaveLength(100)
  })

  it('draws the identity for none', () => {
    const random = seededRandom(3)
    // −0 and 0 are the same draw.
    const unsigned = (p: object) =>
      Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'number' ? v + 0 : v]))
    for (let i = 0; i < 100; i++)
      expect(unsigned(drawParams(none, random))).toEqual({
        rotation: 0,
        shear: 0,
        zoomX: 1,
        zoomY: 1,
        shiftX: 0,
        shiftY: 0,
        flip: false,
        brightness: 1,
      })
  })

  it('takes the same count of numbers whatever the spec, so the presets stay aligned image by image', () => {
    const a = seededRandom(4)
    const b = seededRandom(4)
    drawParams(none, a)
    drawParams(strong, b)
    expect(a()).toBe(b())
  })
})

describe('createAugmenter', () => {
  it('returns a copy of the input for none, which the caller may dispose on its own', () => {
    const out = createAugmenter(none, 1).apply(photos)
    expect(out).not.toBe(photos)
    expect(out.dataSync()).toEqual(photos.dataSync())
    out.dispose()
    expect(photos.isDisposed).toBe(false)
  })

  it('keeps the shape [n, h, w, 3], for non-square images too', () => {
    const wide = tf.slice(photos, [0, 10, 0, 0], [-1, 60, -1, -1])
    const out = createAugmenter(strong, 1).apply(wide)
    expect(out.shape).toEqual([PHOTOS.length, 60, SIZE, 3])
    tf.dispose([wide, out])
  })

  it('leaves no tensors behind but the one it returns', () => {
    const before = tf.memory().numTensors
    const out = createAugmenter(strong, 1).apply(photos)
    expect(tf.memory().numTensors).toBe(before + 1)
    out.dispose()
  })

  it('gives identical outputs for the same seed and the same sequence of calls', () => {
    const run = () => {
      const augmenter = createAugmenter(strong, 42)
      return [values(() => augmenter.apply(photos)), values(() => augmenter.apply(photos))]
    }
    const [first, second] = run()
    const [again, secondAgain] = run()
    expect(again).toEqual(first)
    expect(secondAgain).toEqual(second)
    // Each call draws afresh: the second batch is not a repeat of the first.
    expect(meanAbsDiff(first!, second!)).toBeGreaterThan(1)
  })

  it('from image k, gives rows k… of a batch the very views the whole batch gets (how training workers split it)', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend)
      const whole = createAugmenter(strong, 42).apply(photos)
      for (const from of [1, 2]) {
        const rows = tf.slice(photos, [from, 0, 0, 0], [-1, -1, -1, -1])
        const alone = values(() => createAugmenter(strong, 42, from).apply(rows))
        expect(values(() => tf.slice(whole, [from, 0, 0, 0], [-1, -1, -1, -1]))).toEqual(alone)
        rows.dispose()
      }
      whole.dispose()
    }
    await tf.setBackend('cpu')
  })

  it('gives different outputs for different seeds', () => {
    const a = values(() => createAugmenter(strong, 1).apply(photos))
    const b = values(() => createAugmenter(strong, 2).apply(photos))
    expect(meanAbsDiff(a, b)).toBeGreaterThan(1)
  })

  it('with flip alone, gives each photo exactly or its exact mirror (tf.reverse along the width)', () => {
    const batch = tf.concat([photos, photos, photos])
    const original = batch.dataSync() as Float32Array
    const mirror = values(() => tf.reverse(batch, 2))
    const result = values(() => createAugmenter(only({ horizontalFlip: true }), 5).apply(batch))
    const pixels = SIZE * SIZE * 3
    const image = (data: Float32Array, i: number) => data.subarray(i * pixels, (i + 1) * pixels)
    let mirrored = 0
    for (let i = 0; i < batch.shape[0]; i++) {
      if (meanAbsDiff(image(result, i), image(mirror, i)) === 0) mirrored++
      else expect(meanAbsDiff(image(result, i), image(original, i))).toBe(0)
    }
    expect(mirrored).toBeGreaterThan(0)
    expect(mirrored).toBeLessThan(batch.shape[0])
    batch.dispose()
  })

  it('zooms and shears within the range of the input: interpolation and edge fill never overshoot', () => {
    const out = createAugmenter(seed, 7).apply(photos)
    for (let i = 0; i < PHOTOS.length; i++) {
      const input = values(() => imageOf(photos, i))
      const result = values(() => imageOf(out, i))
      expect(Math.min(...result)).toBeGreaterThanOrEqual(Math.min(...input) - 1e-3)
      expect(Math.max(...result)).toBeLessThanOrEqual(Math.max(...input) + 1e-3)
      expect(meanAbsDiff(result, input), PHOTOS[i]).toBeGreaterThan(1)
    }
    out.dispose()
  })

  it('scales brightness by one factor per photo within ±20 %, clipped to 0–255', () => {
    const out = createAugmenter(only({ brightness: 0.2 }), 3).apply(photos)
    for (let i = 0; i < PHOTOS.length; i++) {
      const input = values(() => imageOf(photos, i))
      const result = values(() => imageOf(out, i))
      const j = input.findIndex((v, k) => v > 10 && result[k]! < 255)
      const factor = result[j]! / input[j]!
      expect(factor).toBeGreaterThanOrEqual(0.8)
      expect(factor).toBeLessThanOrEqual(1.2)
      const expected = input.map((v) => Math.min(v * factor, 255))
      expect(meanAbsDiff(result, expected)).toBeLessThan(1e-3)
      const mean = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0) / xs.length
      // Roughly the factor: only the pixels clipped at 255 pull it down.
      expect(mean(result) / mean(input)).toBeGreaterThan(factor * 0.95)
      expect(mean(result) / mean(input)).toBeLessThanOrEqual(factor * (1 + 1e-6))
    }
    out.dispose()
  })

  it('agrees between the cpu and wasm backends', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend)
      return values(() => createAugmenter(strong, 9).apply(photos))
    }
    const cpu = await run('cpu')
    const wasm = await run('wasm')
    expect(tf.getBackend()).toBe('wasm')
    await tf.setBackend('cpu')
    let worst = 0
    for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i]! - wasm[i]!))
    expect(worst).toBeLessThan(0.01)
  })
})

describe('augmentViews', () => {
  const key = (photo: string, view: number): ViewKey => ({ seed: 1, view, photo })
  const keys = PHOTOS.map((photo) => key(photo, 0))

  it('gives a view that depends on its key alone, not on the rest of the batch', () => {
    const third = imageOf(photos, 2)
    const all = augmentViews(photos, strong, keys)
    expect(values(() => imageOf(all, 2))).toEqual(values(() => augmentViews(third, strong, [keys[2]!])))
    tf.dispose([third, all])
  })

  it('gives each image of a batch exactly its own view on wasm too, where the batch goes through in one call', async () => {
    await tf.setBackend('wasm')
    const third = imageOf(photos, 2)
    const all = augmentViews(photos, strong, keys)
    const alone = values(() => augmentViews(third, strong, [keys[2]!]))
    expect(values(() => imageOf(all, 2))).toEqual(alone)
    tf.dispose([third, all])
    await tf.setBackend('cpu')
  })

  it('reproduces a view exactly from its key', () => {
    expect(values(() => augmentViews(photos, strong, keys))).toEqual(
      values(() => augmentViews(photos, strong, keys)),
    )
  })

  it('gives different views of one photo, and different photos different draws for the same view', () => {
    const photo = imageOf(photos, 0)
    const view0 = values(() => augmentViews(photo, strong, [key('a', 0)]))
    const view1 = values(() => augmentViews(photo, strong, [key('a', 1)]))
    const otherPhoto = values(() => augmentViews(photo, strong, [key('b', 0)]))
    expect(meanAbsDiff(view0, view1)).toBeGreaterThan(1)
    expect(meanAbsDiff(view0, otherPhoto)).toBeGreaterThan(1)
    photo.dispose()
  })

  it('refuses a key count that does not match the batch', () => {
    expect(() => augmentViews(photos, strong, keys.slice(1))).toThrow(RangeError)
  })
})
