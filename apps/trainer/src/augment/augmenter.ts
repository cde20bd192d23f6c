import * as tf from '@tensorflow/tfjs-core'
import { seededRandom } from '@whisker/preprocess'
import { type AffineParams, toProjective } from './affine.ts'
import type { AugmentSpec } from './presets.ts'

/** One image's augmentation: where it samples the photo, then how much brighter it gets. */
export interface AugmentParams extends AffineParams {
  readonly brightness: number
}

/**
 * Augments batches on the fly. Image i of the stream (counting across calls) gets the i-th draw of one seeded
 * generator, so the same seed and the same sequence of batch sizes give identical outputs.
 */
export interface Augmenter {
  /**
   * `batch`: float32 NHWC. Returns a new tensor of the same shape that the caller owns and disposes, even for
   * the `none` preset (a clone), so callers can dispose uniformly; `batch` is left untouched.
   */
  apply(batch: tf.Tensor4D): tf.Tensor4D
}

/** Identifies one augmented view of one photo, e.g. for an embedding cache. */
export interface ViewKey {
  /** The training run's seed. */
  readonly seed: number
  /** Which of the photo's views: 0, 1, … */
  readonly view: number
  /**
   * The photo's identity, e.g. its content hash. Without it, view k would be the same transform for every
   * photo, and K views would teach the model only K distortions.
   */
  readonly photo: string
}

/** Brightness clips here: photos come from `toModelInput` as 0–255. */
const PIXEL_MAX = 255

/** What `drawParams` takes from its generator for every image. */
const DRAWS_PER_IMAGE = 8

/**
 * `from`: the stream starts at image `from`, as if that many images had been augmented already, so rows
 * [from, from + n) of a batch, augmented on their own (by a training worker), get exactly the views the
 * whole batch's augmenter gives them.
 */
export function createAugmenter(spec: AugmentSpec, seed: number, from = 0): Augmenter {
  // A stream of its own: the trainer also draws shuffles from seededRandom(seed), and sharing that sequence
  // would tie each image's distortion to its place in the shuffle.
  const random = seededRandom(hashSeed(`augment/${seed}`))
  for (let i = 0; i < from * DRAWS_PER_IMAGE; i++) random()
  return {
    apply: (batch) => augment(batch, spec, () => random),
  }
}

/**
 * Augments image i of `batch` as view `keys[i]`: each view's draw depends on its key alone, never on the rest
 * of the batch, so a cached view can be recomputed exactly. Ownership as for `Augmenter.apply`.
 */
export function augmentViews(batch: tf.Tensor4D, spec: AugmentSpec, keys: readonly ViewKey[]): tf.Tensor4D {
  if (keys.length !== batch.shape[0])
    throw new RangeError(`${keys.length} view keys for a batch of ${batch.shape[0]} images`)
  return augment(batch, spec, (i) => viewRandom(keys[i]!))
}

function viewRandom({ seed, view, photo }: ViewKey): () => number {
  return seededRandom(hashSeed(`augment/${seed}/${view}/${photo}`))
}

/**
 * One image's parameters, uniform within the spec's ranges. It always takes `DRAWS_PER_IMAGE` numbers from
 * `random`, whatever the spec turns off, so the stream stays aligned image by image.
 */
export function drawParams(spec: AugmentSpec, random: () => number): AugmentParams {
  const within = (range: number) => range * (2 * random() - 1)
  const rotation = (within(spec.rotationDegrees) * Math.PI) / 180
  const shear = within(spec.shearRadians)
  const zoomX = 1 + within(spec.zoom)
  const zoomY = 1 + within(spec.zoom)
  const shiftX = within(spec.shift)
  const shiftY = within(spec.shift)
  const flip = random() < 0.5 && spec.horizontalFlip
  const brightness = 1 + within(spec.brightness)
  return { rotation, shear, zoomX, zoomY, shiftX, shiftY, flip, brightness }
}

/** `randomFor(i)` gives the generator to draw image i's parameters from. */
function augment(batch: tf.Tensor4D, spec: AugmentSpec, randomFor: (i: number) => () => number): tf.Tensor4D {
  if (isIdentity(spec)) return batch.clone()
  const [n, height, width] = batch.shape
  const drawn = Array.from({ length: n }, (_, i) => drawParams(spec, randomFor(i)))
  return tf.tidy(() => {
    const transforms = drawn.map((p) => [...toProjective(p, width, height)])
    const transform = (images: tf.Tensor4D, rows: number[][]) =>
      tf.image.transform(
        images,
        tf.tensor2d(rows.flat(), [rows.length, 8]),
        'bilinear',
        'nearest', // Keras's default fill_mode: the border pixels stretch outwards instead of black margins.
      )
    // One call for the whole batch, each image with its own row of transforms: 3× faster on wasm than a
    // call per image (8.7 against 27 ms for 32 images of 64²), the same pixels. Except on
    // tfjs-backend-cpu: its 4.22 Transform kernel returns after the first image of a batch and leaves the
    // others at the fill value, so there each image gets its own call.
    const moved =
      tf.getBackend() === 'cpu'
        ? tf.concat(tf.split<tf.Tensor4D>(batch, n).map((image, i) => transform(image, [transforms[i]!])))
        : transform(batch, transforms)
    if (spec.brightness === 0) return moved
    const factors = tf.tensor4d(
      drawn.map((p) => p.brightness),
      [n, 1, 1, 1],
    )
    return tf.clipByValue(tf.mul(moved, factors), 0, PIXEL_MAX)
  })
}

function isIdentity(spec: AugmentSpec): boolean {
  return (
    spec.rotationDegrees === 0 &&
    spec.shearRadians === 0 &&
    spec.zoom === 0 &&
    spec.shift === 0 &&
    !spec.horizontalFlip &&
    spec.brightness === 0
  )
}

/** 32 well-mixed bits from a string: FNV-1a, then murmur3's finaliser so that every character reaches every bit. */
function hashSeed(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
