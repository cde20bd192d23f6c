import { readFile } from 'node:fs/promises'
import * as tf from '@tensorflow/tfjs-core'
import { PreprocessError, type ResizePolicy, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import type { StopSignal } from '../run/interrupt.ts'
import type { LabelledFile } from './dataset.ts'

/**
 * Photos decoded and resized once, kept as bytes: a network trained from pixels sees every photo each
 * epoch, and 2,400 photos at 150×150 are 160 MB as bytes but 650 MB as float32. Rounding the resized
 * values to whole levels is far below what augmentation changes anyway.
 */
export class PixelSet {
  readonly files: LabelledFile[]
  readonly size: number
  readonly #pixels: Uint8ClampedArray

  private constructor(files: LabelledFile[], size: number, pixels: Uint8ClampedArray) {
    this.files = files
    this.size = size
    this.#pixels = pixels
  }

  static async load(
    files: readonly LabelledFile[],
    policy: ResizePolicy,
    options: { stop?: StopSignal; onProgress?: (done: number) => void } = {},
  ): Promise<{ set: PixelSet; unreadable: { name: string; reason: string }[] }> {
    const length = policy.size * policy.size * 3
    // Clamped: assigning a float rounds to the nearest level, where Uint8Array would truncate.
    const pixels = new Uint8ClampedArray(files.length * length)
    const kept: LabelledFile[] = []
    const unreadable: { name: string; reason: string }[] = []
    for (const [i, file] of files.entries()) {
      if (i % 64 === 0) {
        options.stop?.checkpoint()
        options.onProgress?.(i)
      }
      try {
        const input = toModelInput(await decodeImage(await readFile(file.path)), policy)
        pixels.set(input, kept.length * length)
        kept.push(file)
      } catch (error) {
        if (!(error instanceof PreprocessError)) throw error
        unreadable.push({ name: file.name, reason: `${error.code}: ${error.message}` })
      }
    }
    options.onProgress?.(files.length)
    const set = new PixelSet(kept, policy.size, pixels.slice(0, kept.length * length))
    return { set, unreadable }
  }

  get count(): number {
    return this.files.length
  }

  /** The photos at `indices` as a float32 batch of 0–255 pixels, NHWC. */
  batch(indices: ArrayLike<number>): tf.Tensor4D {
    const length = this.size * this.size * 3
    const values = new Float32Array(indices.length * length)
    for (let i = 0; i < indices.length; i++) {
      const start = indices[i]! * length
      values.set(this.#pixels.subarray(start, start + length), i * length)
    }
    return tf.tensor4d(values, [indices.length, this.size, this.size, 3])
  }
}
