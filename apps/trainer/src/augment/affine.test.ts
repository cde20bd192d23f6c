import { describe, expect, it } from 'vitest'
import { type AffineParams, IDENTITY, type ProjectiveTransform, toProjective } from './affine.ts'

/** The input point that output pixel (x, y) samples, as tf.image.transform reads the 8 numbers. */
function sample(t: ProjectiveTransform, x: number, y: number): [number, number] {
  const k = t[6] * x + t[7] * y + 1
  return [(t[0] * x + t[1] * y + t[2]) / k, (t[3] * x + t[4] * y + t[5]) / k]
}

const WIDTH = 201
const HEIGHT = 101
const CENTRE: [number, number] = [100, 50]
const transform = (params: Partial<AffineParams>) => toProjective({ ...IDENTITY, ...params }, WIDTH, HEIGHT)

describe('toProjective', () => {
  it('leaves every pixel where it is for the identity', () => {
    expect(transform({})).toEqual([1, 0, 0, 0, 1, 0, 0, 0])
  })

  it('is always affine: the projective terms are zero', () => {
    const t = transform({ rotation: 0.3, shear: 0.2, zoomX: 1.1, zoomY: 0.9, shiftX: 0.1, flip: true })
    expect([t[6], t[7]]).toEqual([0, 0])
  })

  it('mirrors by reading column width − 1 − x of the same row, exactly', () => {
    const t = transform({ flip: true })
    for (const [x, y] of [
      [0, 0],
      [7, 3],
      [200, 100],
    ] as const)
      expect(sample(t, x, y)).toEqual([WIDTH - 1 - x, y])
  })

  it('turns, shears and zooms about the image centre', () => {
    for (const params of [{ rotation: 0.4 }, { shear: 0.2 }, { zoomX: 1.2, zoomY: 0.8 }, { flip: true }]) {
      const [x, y] = sample(transform(params), ...CENTRE)
      expect(x).toBeCloseTo(CENTRE[0], 10)
      expect(y).toBeCloseTo(CENTRE[1], 10)
    }
  })

  it('zooms as Keras does: a factor above 1 samples farther from the centre, showing more of the photo', () => {
    const [x, y] = sample(transform({ zoomX: 1.2, zoomY: 0.5 }), 0, 0)
    expect(x).toBeCloseTo(CENTRE[0] - 1.2 * CENTRE[0], 10)
    expect(y).toBeCloseTo(CENTRE[1] - 0.5 * CENTRE[1], 10)
  })

  it('shifts by a fraction of the width and height', () => {
    const [x, y] = sample(transform({ shiftX: 0.1, shiftY: -0.2 }), 10, 10)
    expect(x).toBeCloseTo(10 + 0.1 * WIDTH, 10)
    expect(y).toBeCloseTo(10 - 0.2 * HEIGHT, 10)
  })

  it('rotates without stretching: distances from the centre are kept', () => {
    const angle = (15 * Math.PI) / 180
    const [x, y] = sample(transform({ rotation: angle }), 0, 0)
    expect(Math.hypot(x - CENTRE[0], y - CENTRE[1])).toBeCloseTo(Math.hypot(...CENTRE), 10)
    expect(Math.atan2(y - CENTRE[1], x - CENTRE[0]) - Math.atan2(-CENTRE[1], -CENTRE[0])).toBeCloseTo(
      angle,
      10,
    )
  })

  it("shears with Keras's matrix: columns slide vertically by −sin(s) per pixel and narrow by cos(s)", () => {
    const s = 0.2
    const [x, y] = sample(transform({ shear: s }), CENTRE[0] + 10, CENTRE[1])
    expect(x).toBeCloseTo(CENTRE[0] + 10 * Math.cos(s), 10)
    expect(y).toBeCloseTo(CENTRE[1] - 10 * Math.sin(s), 10)
  })

  it('composes rotation · shift · shear · zoom as Keras does, so the shift turns with the rotation', () => {
    const [x, y] = sample(transform({ rotation: Math.PI / 2, shiftX: 0.1 }), ...CENTRE)
    expect(x).toBeCloseTo(CENTRE[0], 10)
    expect(y).toBeCloseTo(CENTRE[1] + 0.1 * WIDTH, 10)
  })
})
