/** One image's geometric augmentation, as drawn from an `AugmentSpec`. */
export interface AffineParams {
  /** Radians. */
  readonly rotation: number
  /** Radians. */
  readonly shear: number
  /** Sampling-grid scale per axis: above 1 takes in more of the photo (zooms out), as in Keras. */
  readonly zoomX: number
  readonly zoomY: number
  /** Fractions of the width and height. */
  readonly shiftX: number
  readonly shiftY: number
  readonly flip: boolean
}

export const IDENTITY: AffineParams = {
  rotation: 0,
  shear: 0,
  zoomX: 1,
  zoomY: 1,
  shiftX: 0,
  shiftY: 0,
  flip: false,
}

/**
 * `tf.image.transform`'s 8 numbers [a0, a1, a2, b0, b1, b2, c0, c1]: output pixel (x, y) samples the input
 * at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.
 */
export type ProjectiveTransform = readonly [number, number, number, number, number, number, number, number]

/** x' = a0 x + a1 y + a2, y' = b0 x + b1 y + b2. */
type Affine = readonly [number, number, number, number, number, number]

/**
 * The transform for `tf.image.transform` that applies `params` about the centre of a width × height image.
 * Like Keras (and scipy's `affine_transform`, which it uses), it maps output pixels to the input points they
 * sample, composing rotation · shift · shear · zoom as Keras does, with the flip applied last to the picture
 * (first to the output coordinates). Pixel centres are at integer coordinates, so the centre is
 * ((width − 1) / 2, (height − 1) / 2) and a flip reads column width − 1 − x exactly.
 */
export function toProjective(params: AffineParams, width: number, height: number): ProjectiveTransform {
  const cx = (width - 1) / 2
  const cy = (height - 1) / 2
  // Rightmost first: each output point is centred, mirrored, zoomed, sheared, shifted, rotated, un-centred.
  const m = [
    translate(cx, cy),
    rotate(params.rotation),
    translate(params.shiftX * width, params.shiftY * height),
    shear(params.shear),
    scale(params.zoomX, params.zoomY),
    scale(params.flip ? -1 : 1, 1),
    translate(-cx, -cy),
  ].reduce(compose)
  return [...m, 0, 0]
}

/** `outer` after `inner`. */
function compose(outer: Affine, inner: Affine): Affine {
  const [a0, a1, a2, b0, b1, b2] = outer
  const [c0, c1, c2, d0, d1, d2] = inner
  return [
    a0 * c0 + a1 * d0,
    a0 * c1 + a1 * d1,
    a0 * c2 + a1 * d2 + a2,
    b0 * c0 + b1 * d0,
    b0 * c1 + b1 * d1,
    b0 * c2 + b1 * d2 + b2,
  ]
}

const translate = (tx: number, ty: number): Affine => [1, 0, tx, 0, 1, ty]
const scale = (sx: number, sy: number): Affine => [sx, 0, 0, 0, sy, 0]
const rotate = (angle: number): Affine => [
  Math.cos(angle),
  -Math.sin(angle),
  0,
  Math.sin(angle),
  Math.cos(angle),
  0,
]

/**
 * Keras's shear matrix [[1, −sin s], [0, cos s]] acts on (row, column); written for (x, y) it shifts each
 * column vertically in proportion to x and narrows x by cos s.
 */
const shear = (angle: number): Affine => [Math.cos(angle), 0, 0, -Math.sin(angle), 1, 0]
