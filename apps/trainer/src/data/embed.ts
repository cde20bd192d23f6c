import { readFile } from 'node:fs/promises'
import type { Embedder } from '@whisker/model-core/training'
import { PreprocessError, type ResizePolicy, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import type { LabelledFile } from './dataset.ts'

export interface EmbeddedSet {
  files: LabelledFile[]
  /** files.length × dim, row per file. */
  embeddings: Float32Array
  /** Photos that could not be read, with the reason: skipped and reported, never fatal. */
  unreadable: { name: string; reason: string }[]
}

export interface EmbedOptions {
  policy: ResizePolicy
  batchSize: number
  onProgress?: (done: number) => void
}

/** Decodes, preprocesses and embeds photos in batches through the backbone graph. */
export async function embedFiles(
  files: readonly LabelledFile[],
  embedder: Embedder,
  options: EmbedOptions,
): Promise<EmbeddedSet> {
  const kept: LabelledFile[] = []
  const unreadable: EmbeddedSet['unreadable'] = []
  const chunks: Float32Array[] = []
  const inputLength = options.policy.size * options.policy.size * 3
  for (let start = 0; start < files.length; start += options.batchSize) {
    const batch = files.slice(start, start + options.batchSize)
    const pixels = new Float32Array(batch.length * inputLength)
    let count = 0
    for (const file of batch) {
      try {
        pixels.set(
          toModelInput(await decodeImage(await readFile(file.path)), options.policy),
          count * inputLength,
        )
        count++
        kept.push(file)
      } catch (error) {
        if (!(error instanceof PreprocessError)) throw error
        unreadable.push({ name: file.name, reason: `${error.code}: ${error.message}` })
      }
    }
    if (count > 0) chunks.push(await embedder.embed(pixels.subarray(0, count * inputLength), count))
    options.onProgress?.(Math.min(start + options.batchSize, files.length))
  }
  const embeddings = new Float32Array(kept.length * embedder.dim)
  let offset = 0
  for (const chunk of chunks) {
    embeddings.set(chunk, offset)
    offset += chunk.length
  }
  return { files: kept, embeddings, unreadable }
}
