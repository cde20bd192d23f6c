import * as tf from '@tensorflow/tfjs-core'

/**
 * Decoded photos as bytes, row `i` photo `i`'s size × size × 3 levels (0–255, NHWC), in shared memory: a
 * training worker gathers its own rows of each batch straight from here, so the main thread sends a batch
 * as its row numbers instead of copying 1.5 MB of float pixels a step through a core the workers need.
 * Kept apart from the decoding (pixels.ts) so that a worker imports tfjs-core and nothing else.
 */
export interface PixelStore {
  /** Over a SharedArrayBuffer. Clamped: assigning a float rounds to the nearest level, where Uint8Array truncates. */
  readonly bytes: Uint8ClampedArray
  readonly size: number
}

/** `count` rows of `size`² pixels, zero until written, in shared memory. */
export function allocatePixelStore(count: number, size: number): PixelStore {
  return { bytes: new Uint8ClampedArray(new SharedArrayBuffer(count * rowLength(size))), size }
}

/** Values in one row: size × size × RGB. */
export const rowLength = (size: number): number => size * size * 3

/** The photos at `rows` as a float32 batch of 0–255 pixels, NHWC. */
export function gatherRows(store: PixelStore, rows: ArrayLike<number>): tf.Tensor4D {
  const length = rowLength(store.size)
  const values = new Float32Array(rows.length * length)
  for (let i = 0; i < rows.length; i++) {
    const start = rows[i]! * length
    values.set(store.bytes.subarray(start, start + length), i * length)
  }
  return tf.tensor4d(values, [rows.length, store.size, store.size, 3])
}
