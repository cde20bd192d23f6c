/**
 * What one augmentation preset may do to a training image. Every range is symmetric and drawn uniformly,
 * per image, as Keras's ImageDataGenerator draws its own; 0 (or false) turns a step off.
 */
export interface AugmentSpec {
  /** Largest rotation either way, in degrees (Keras `rotation_range`). */
  readonly rotationDegrees: number
  /** Largest shear angle either way, in radians (Keras 1's `shear_range`; see `seed` below). */
  readonly shearRadians: number
  /** Each axis is scaled by its own factor from [1 − zoom, 1 + zoom] (Keras `zoom_range`). */
  readonly zoom: number
  /** Largest shift either way, as a fraction of the width (or height) (Keras `width_shift_range`). */
  readonly shift: number
  /** Mirror left–right half the time (Keras `horizontal_flip`). */
  readonly horizontalFlip: boolean
  /** Pixels are multiplied by a factor from [1 − brightness, 1 + brightness] (Keras `brightness_range`). */
  readonly brightness: number
}

export const AUGMENT_PRESETS = {
  none: { rotationDegrees: 0, shearRadians: 0, zoom: 0, shift: 0, horizontalFlip: false, brightness: 0 },
  /**
   * The reference tutorial's generator: `ImageDataGenerator(shear_range=0.2, zoom_range=0.2,
   * horizontal_flip=True)`. It was written in 2016 for Keras 1, whose `shear_range` was in radians (0.2 rad ≈
   * 11.5°); since Keras 2.1.3 (keras-team/keras#8868) the same number means degrees, and 0.2° moves the edge of
   * a 150-pixel image by a quarter of a pixel: no shear at all. Radians reproduce what the tutorial trained with.
   */
  seed: { rotationDegrees: 0, shearRadians: 0.2, zoom: 0.2, shift: 0, horizontalFlip: true, brightness: 0 },
  /** The tutorial's, plus the rotation, shift and brightness ranges commonly added to it. */
  strong: {
    rotationDegrees: 15,
    shearRadians: 0.2,
    zoom: 0.2,
    shift: 0.1,
    horizontalFlip: true,
    brightness: 0.2,
  },
} as const satisfies Record<string, AugmentSpec>

export type AugmentName = keyof typeof AUGMENT_PRESETS

/** For the CLI's `--augment` choices. */
export const AUGMENT_NAMES = Object.keys(AUGMENT_PRESETS) as readonly AugmentName[]
