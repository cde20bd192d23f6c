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

/** How a photo's bytes become the backbone's input: sent with each batch to whichever thread embeds it. */
export interface InputRecipe {
  policy: ResizePolicy
  augment?: AugmentedView
  mirror?: boolean
}

/** A photo as read from disk: its encoded bytes and its content hash (which keys its augmented views). */
export interface PhotoBytes {
  bytes: Uint8Array
  photo: string
}

/** One photo's outcome: its embedding, or why it could not be decoded (`CODE: message`). */
export type PhotoRow = Float32Array | { unreadable: string }

/**
 * Embeds photos from their encoded bytes. Worker threads implement it (`createParallelEmbedder`) so that
 * decoding and resizing, about as much work per photo as MobileNetV2 α0.35 itself, run in the workers
 * beside the network instead of on this thread, where they capped two workers at ×1.3 of one.
 */
export interface PhotoEmbedder {
  readonly dim: number
  embedPhotos(photos: readonly PhotoBytes[], recipe: InputRecipe): Promise<PhotoRow[]>
  dispose(): void
}

/**
 * Decodes, prepares (augmented view, mirror) and embeds one batch in this thread: what `embedFiles` does
 * with an in-process embedder, and what each embedding worker does with its shard.
 */
export async function embedPhotos(
  embedder: Embedder,
  photos: readonly PhotoBytes[],
  recipe: InputRecipe,
): Promise<PhotoRow[]> {
  const { size } = recipe.policy
  const inputLength = size * size * 3
  const pixels = new Float32Array(photos.length * inputLength)
  const decoded: { photo: string; slot: number }[] = []
  const out: PhotoRow[] = []
  for (const [slot, { bytes, photo }] of photos.entries()) {
    try {
      pixels.set(toModelInput(await decodeImage(bytes), recipe.policy), decoded.length * inputLength)
      decoded.push({ photo, slot })
    } catch (error) {
      if (!(error instanceof PreprocessError)) throw error
      out[slot] = { unreadable: `${error.code}: ${error.message}` }
    }
  }
  if (decoded.length === 0) return out
  const inputs = pixels.subarray(0, decoded.length * inputLength)
  const keys = decoded.map(({ photo }) => photo)
  const viewed = recipe.augment ? augmented(inputs, size, keys, recipe.augment) : inputs
  const embedded = await embedder.embed(
    recipe.mirror ? mirrored(viewed, size, decoded.length) : viewed,
    decoded.length,
  )
  for (const [i, { slot }] of decoded.entries()) {
    out[slot] = embedded.slice(i * embedder.dim, (i + 1) * embedder.dim)
  }
  return out
}

/** An in-process embedder as a PhotoEmbedder: decoding and embedding take turns on this thread. */
function inThisThread(embedder: Embedder): PhotoEmbedder {
  return {
    dim: embedder.dim,
    embedPhotos: (photos, recipe) => embedPhotos(embedder, photos, recipe),
    dispose: () => embedder.dispose(),
  }
}

interface Pending extends PhotoBytes {
  /** Its cache key: the photo, or one augmented view of it. */
  hash: string
  /** Its place in the files given to embedFiles. */
  index: number
}

/**
 * Reads photos in batches and embeds those the cache does not hold, through the backbone graph in this
 * thread (an `Embedder`) or in worker threads (a `PhotoEmbedder`). Photos that fail to decode are skipped
 * and reported, never fatal.
 */
export async function embedFiles(
  files: readonly LabelledFile[],
  embedder: Embedder | PhotoEmbedder,
  options: EmbedOptions,
): Promise<EmbeddedSet> {
  const photos = 'embedPhotos' in embedder ? embedder : inThisThread(embedder)
  const recipe: InputRecipe = { policy: options.policy, augment: options.augment, mirror: options.mirror }
  const outcomes: PhotoRow[] = []
  let cacheHits = 0
  // Batches embed while the next is read. Off this thread, two are in flight so that a worker that finishes
  // its shard first starts on the next batch instead of waiting for the slowest (×1.55 → ×1.7 of one worker
  // on 2 cores); in this thread a second would only hold memory, as reading and embedding take turns anyway.
  const inFlight: Promise<void>[] = []
  const depth = photos === embedder ? 2 : 1
  for (let start = 0; start < files.length; start += options.batchSize) {
    options.stop?.checkpoint()
    const pending: Pending[] = []
    for (const [offset, file] of files.slice(start, start + options.batchSize).entries()) {
      const bytes = await readFile(file.path)
      const photo = await sha256Hex(bytes)
      const hash = await cacheKey(photo, options.augment, options.mirror)
      const cached = await options.cache.get(hash)
      if (cached) {
        cacheHits++
        outcomes[start + offset] = cached
      } else pending.push({ bytes, photo, hash, index: start + offset })
    }
    while (inFlight.length >= depth) await inFlight.shift()
    const done = Math.min(start + options.batchSize, files.length)
    const batch = embedPending(photos, pending, recipe, outcomes, options.cache).then(() =>
      options.onProgress?.(done),
    )
    inFlight.push(batch)
    // Awaited before the next batch or at the end; until then a failure must not count as unhandled.
    batch.catch(() => {})
  }
  for (const batch of inFlight) await batch
  const kept: LabelledFile[] = []
  const rows: Float32Array[] = []
  const unreadable: EmbeddedSet['unreadable'] = []
  for (const [i, file] of files.entries()) {
    const outcome = outcomes[i]!
    if (outcome instanceof Float32Array) {
      kept.push(file)
      rows.push(outcome)
    } else unreadable.push({ name: file.name, reason: outcome.unreadable })
  }
  const embeddings = new Float32Array(kept.length * photos.dim)
  rows.forEach((row, i) => {
    embeddings.set(row, i * photos.dim)
  })
  return { files: kept, embeddings, unreadable, cacheHits }
}

/** Embeds the photos of one batch the cache lacked; stores each outcome, and each embedding in the cache. */
async function embedPending(
  embedder: PhotoEmbedder,
  pending: Pending[],
  recipe: InputRecipe,
  outcomes: PhotoRow[],
  cache: EmbeddingCache,
): Promise<void> {
  if (pending.length === 0) return
  const rows = await embedder.embedPhotos(pending, recipe)
  for (const [i, { hash, index }] of pending.entries()) {
    const row = rows[i]!
    outcomes[index] = row
    if (row instanceof Float32Array) await cache.set(hash, row)
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
  photos: string[],
  augment: AugmentedView,
): Float32Array {
  // Keyed by the photo's content, so a view is the same whichever batch (or worker) it lands in.
  const keys = photos.map((photo) => ({ seed: augment.seed, view: augment.view, photo }))
  const views = tf.tidy(() =>
    augmentViews(tf.tensor4d(pixels, [photos.length, size, size, 3]), augment.spec, keys),
  )
  // Read outside tidy: tidy walks a returned value looking for tensors, element by element for a typed array.
  const values = views.dataSync() as Float32Array
  views.dispose()
  return values
}
