/** The case grids the gradient-kernel tests share: each filter and input gradient is checked on the same shapes. */

export type ConvPad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]]
export const CONV_PADS: ConvPad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ],
  1,
]
export const CONV_CASES: {
  n: number
  h: number
  w: number
  k: [number, number]
  s: number | [number, number]
  c?: [number, number]
}[] = [
  { n: 1, h: 7, w: 9, k: [3, 3], s: 1 },
  { n: 2, h: 8, w: 8, k: [3, 3], s: 2 },
  { n: 3, h: 7, w: 6, k: [2, 2], s: 2 },
  { n: 2, h: 9, w: 7, k: [5, 3], s: [2, 1] },
  { n: 4, h: 6, w: 6, k: [1, 1], s: 1 },
  { n: 1, h: 10, w: 11, k: [3, 3], s: 3 },
  { n: 4, h: 24, w: 24, k: [3, 3], s: 1, c: [8, 16] }, // wide and long: many terms per weight and per input gradient
]

export type Pair = number | [number, number]
export type DepthwisePad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]]
export const DEPTHWISE_PADS: DepthwisePad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ],
]
// Strides and dilations as tfjs allows them together: one of the two is 1.
export const DEPTHWISE_GEOMETRIES: { s: Pair; d: Pair }[] = [
  { s: 1, d: 1 },
  { s: 2, d: 1 },
  { s: [2, 1], d: 1 },
  { s: 1, d: 2 },
  { s: 1, d: [2, 3] },
]
export const DEPTHWISE_SHAPES = [
  { n: 1, h: 7, w: 9, c: 3 },
  { n: 3, h: 8, w: 8, c: 2 },
]
