import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * Backbone embeddings on disk, one file per photo named by the SHA-256 of its bytes, in a folder per
 * (backbone, preprocessing) pair. Content addressing means caches built by several processes or
 * machines merge by copying folders together, and a renamed photo is still a hit.
 */
export interface EmbeddingCache {
  get(contentHash: string): Promise<Float32Array | undefined>
  set(contentHash: string, embedding: Float32Array): Promise<void>
}

export function defaultEmbeddingCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'whisker', 'embeddings')
}

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function diskEmbeddingCache(root: string, namespace: string, dim: number): EmbeddingCache {
  const folder = join(root, namespace)
  const pathOf = (hash: string) => join(folder, hash.slice(0, 2), `${hash}.f32`)
  return {
    async get(hash) {
      const bytes = await readFile(pathOf(hash)).catch(() => undefined)
      // A short or foreign file is treated as a miss and rewritten, never trusted.
      if (!bytes || bytes.byteLength !== dim * 4) return undefined
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    },
    async set(hash, embedding) {
      const path = pathOf(hash)
      await mkdir(join(path, '..'), { recursive: true })
      const staging = `${path}.${process.pid}.tmp`
      await writeFile(staging, new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength))
      await rename(staging, path)
    },
  }
}

/** A cache that remembers nothing (`--no-cache`). */
export const noEmbeddingCache: EmbeddingCache = {
  get: async () => undefined,
  set: async () => {},
}
