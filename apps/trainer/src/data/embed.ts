import { readFile } from 'node:fs/promises'
import * as tf from '@tensorflow/tfjs-core'
import type { Embedder } from '@whisker/model-core/training'
import { PreprocessError, type ResizePolicy, sha256Hex, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { augmentViews } from '../augment/augmenter.ts'
import type { AugmentSpec } from '../augment/presets.ts'
import type { StopSignal } from '../run/interrupt.ts'
import type { LabelledFile } from './dataset.ts'
import type { EmbeddingCache } from './embedding-cache.ts'

export interface EmbeddedSet {
  files: LabelledFile[]
  /** files.length × dim, row per file. */
  embeddings: Float32Array
  /** Photos that could not be read, with the reason: skipped and reported, never fatal. */
  unreadable: { name: string; reason: string }[]
  cacheHits: number
}

/** Embed view `view` of each photo, augmented, instead of the photo itself. */
export interface AugmentedView {
  /** The preset's name, part of the cache key. */
  preset: string
  spec: AugmentSpec
  seed: number
  view: number
}

export interface EmbedOptions {
  policy: ResizePolicy
  augment?: AugmentedView
  /**
   * Embed the (augmented) photo mirrored left–right: the second half of flip test-time augmentation, which
   * the exported graph computes too, so the head learns on what the served model averages.
   */
  mirror?: boolean
  batchSize: number
  cache: EmbeddingCache
  /** Checked between batches: a Ctrl-C stops here, with every finished embedding already cached. */
  stop?: StopSignal
  onProgress?: (done: number) => void
}

interface Pending {
  file: LabelledFile
  /** The photo's content hash. */
  photo: string
  /** Its cache key: the photo, or one augmented view of it. */
  hash: string
  row: number
}

/** Decodes, preprocesses and embeds photos in batches through the backbone graph, reusing cached embeddings. */
export async function embedFiles(
  files: readonly LabelledFile[],
  embedder: Embedder,
  options: EmbedOptions,
): Promise<EmbeddedSet> {
  const rows: (Float32Array | undefined)[] = []
  const kept: LabelledFile[] = []
  const unreadable: EmbeddedSet['unreadable'] = []
  const inputLength = options.policy.size * options.policy.size * 3
  let cacheHits = 0
  // One batch embeds while the next is read and decoded: with worker threads the embedding runs off this
  // thread, so decoding (here) and embedding (there) overlap instead of taking turns.
  let inFlight: Promise<void> = Promise.resolve()
  for (let start = 0; start < files.length; start += options.batchSize) {
    options.stop?.checkpoint()
    const pixels = new Float32Array(options.batchSize * inputLength)
    const pending: Pending[] = []
    for (const file of files.slice(start, start + options.batchSize)) {
      try {
        const bytes = await readFile(file.path)
        const photo = await sha256Hex(bytes)
        const hash = await cacheKey(photo, options.augment, options.mirror)
        const cached = await options.cache.get(hash)
        if (cached) cacheHits++
        else {
          pixels.set(toModelInput(await decodeImage(bytes), options.policy), pending.length * inputLength)
          pending.push({ file, photo, hash, row: rows.length })
        }
        rows.push(cached)
        kept.push(file)
      } catch (error) {
        if (!(error instanceof PreprocessError)) throw error
        unreadable.push({ name: file.name, reason: `${error.code}: ${error.message}` })
      }
    }
    await inFlight
    const done = Math.min(start + options.batchSize, files.length)
    inFlight = embedPending(pixels, pending, rows, embedder, options).then(() => options.onProgress?.(done))
    // Awaited before the next batch or at the end; until then a failure must not count as unhandled.
    inFlight.catch(() => {})
  }
  await inFlight
  const embeddings = new Float32Array(kept.length * embedder.dim)
  rows.forEach((row, i) => {
    embeddings.set(row!, i * embedder.dim)
  })
  return { files: kept, embeddings, unreadable, cacheHits }
}

/** Embeds the decoded photos of one batch and stores each row in `rows` and the cache. */
async function embedPending(
  pixels: Float32Array,
  pending: Pending[],
  rows: (Float32Array | undefined)[],
  embedder: Embedder,
  options: EmbedOptions,
): Promise<void> {
  if (pending.length === 0) return
  const inputLength = options.policy.size * options.policy.size * 3
  const inputs = pixels.subarray(0, pending.length * inputLength)
  const viewed = options.augment ? augmented(inputs, options.policy.size, pending, options.augment) : inputs
  const embedded = await embedder.embed(
    options.mirror ? mirrored(viewed, options.policy.size, pending.length) : viewed,
    pending.length,
  )
  for (const [i, { hash, row }] of pending.entries()) {
    const embedding = embedded.slice(i * embedder.dim, (i + 1) * embedder.dim)
    rows[row] = embedding
    await options.cache.set(hash, embedding)
  }
}

/**
 * A view is its own cache entry: the photo's content, the preset (its name and its settings, so retuning a
 * preset never reuses old views), the seed, the view number, and whether it is mirrored.
 */
async function cacheKey(
  photoHash: string,
  augment: AugmentedView | undefined,
  mirror = false,
): Promise<string> {
  let key = photoHash
  if (augment) {
    const spec = (await sha256Hex(new TextEncoder().encode(JSON.stringify(augment.spec)))).slice(0, 12)
    key = `${photoHash}-${augment.preset}-${spec}-${augment.seed}-${augment.view}`
  }
  return mirror ? `${key}-mirror` : key
}

/** Model inputs (NHWC, back to back) mirrored left–right. */
function mirrored(pixels: Float32Array, size: number, count: number): Float32Array {
  const out = new Float32Array(count * size * size * 3)
  for (let row = 0; row < count * size; row++) {
    const line = row * size * 3
    for (let x = 0; x < size; x++) {
      const from = line + x * 3
      const to = line + (size - 1 - x) * 3
      out[to] = pixels[from]!
      out[to + 1] = pixels[from + 1]!
      out[to + 2] = pixels[from + 2]!
    }
  }
  return out
}

function augmented(
  pixels: Float32Array,
  size: number,
  pending: Pending[],
  augment: AugmentedView,
): Float32Array {
  // Keyed by the photo's content, so a view is the same whichever batch it lands in.
  const keys = pending.map(({ photo }) => ({ seed: augment.seed, view: augment.view, photo }))
  const views = tf.tidy(() =>
    augmentViews(tf.tensor4d(pixels, [pending.length, size, size, 3]), augment.spec, keys),
  )
  // Read outside tidy: tidy walks a returned value looking for tensors, element by element for a typed array.
  const values = views.dataSync() as Float32Array
  views.dispose()
  return values
}
