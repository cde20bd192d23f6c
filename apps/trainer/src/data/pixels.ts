import { readFile } from 'node:fs/promises'
import type * as tf from '@tensorflow/tfjs-core'
import { PreprocessError, type ResizePolicy, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import type { StopSignal } from '../run/interrupt.ts'
import type { LabelledFile } from './dataset.ts'
import { allocatePixelStore, gatherRows, type PixelStore, rowLength } from './pixel-store.ts'

/**
 * Photos decoded and resized once, kept as bytes: a network trained from pixels sees every photo each
 * epoch, and 2,400 photos at 150×150 are 160 MB as bytes but 650 MB as float32. Rounding the resized
 * values to whole levels is far below what augmentation changes anyway. The bytes sit in shared memory
 * (`PixelStore`), where training workers read their rows of each batch.
 */
export class PixelSet {
  readonly files: LabelledFile[]
  /** The bytes themselves, shareable with training workers. */
  readonly store: PixelStore

  private constructor(files: LabelledFile[], store: PixelStore) {
    this.files = files
    this.store = store
  }

  static async load(
    files: readonly LabelledFile[],
    policy: ResizePolicy,
    options: { stop?: StopSignal; onProgress?: (done: number) => void } = {},
  ): Promise<{ set: PixelSet; unreadable: { name: string; reason: string }[] }> {
    const length = rowLength(policy.size)
    let store = allocatePixelStore(files.length, policy.size)
    const kept: LabelledFile[] = []
    const unreadable: { name: string; reason: string }[] = []
    for (const [i, file] of files.entries()) {
      if (i % 64 === 0) {
        options.stop?.checkpoint()
        options.onProgress?.(i)
      }
      try {
        const input = toModelInput(await decodeImage(await readFile(file.path)), policy)
        store.bytes.set(input, kept.length * length)
        kept.push(file)
      } catch (error) {
        if (!(error instanceof PreprocessError)) throw error
        unreadable.push({ name: file.name, reason: `${error.code}: ${error.message}` })
      }
    }
    options.onProgress?.(files.length)
    if (kept.length < files.length) {
      const exact = allocatePixelStore(kept.length, policy.size)
      exact.bytes.set(store.bytes.subarray(0, kept.length * length))
      store = exact
    }
    return { set: new PixelSet(kept, store), unreadable }
  }

  get count(): number {
    return this.files.length
  }

  get size(): number {
    return this.store.size
  }

  /** The photos at `indices` as a float32 batch of 0–255 pixels, NHWC. */
  batch(indices: ArrayLike<number>): tf.Tensor4D {
    return gatherRows(this.store, indices)
  }
}
