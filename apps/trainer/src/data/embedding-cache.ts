import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { BACKBONE_SPEC_FILE, writeAtomically } from '@whisker/model-core/training'
import { concatBytes, type ResizePolicy, sha256Hex } from '@whisker/preprocess'

/**
 * Backbone embeddings on disk, one file per photo (or augmented view) named by the SHA-256 of the photo's
 * bytes, in a folder per computation (backbone weights, preprocessing). Content addressing means caches
 * built by several processes or machines merge by copying folders together, and a renamed photo is still
 * a hit.
 *
 * An entry says what it is and carries its own checksum, so the cache never lies: a file that is torn,
 * truncated, overwritten with other bytes, or copied in from another computation is rejected (counted in
 * `rejected`), recomputed by the caller and rewritten. Entries are written to a unique temporary name and
 * renamed into place, so trainers sharing one folder (processes, or hosts over a network file system) only
 * ever read whole entries, and two writers of one entry each leave a complete, identical file.
 */
export interface EmbeddingCache {
  get(key: string): Promise<Float32Array | undefined>
  set(key: string, embedding: Float32Array): Promise<void>
  /** Entries found but unusable since the cache was opened, with why: each one was a miss, not a hit. */
  readonly rejected: readonly CacheRejection[]
}

export interface CacheRejection {
  key: string
  reason: CacheRejectionReason
}

export type CacheRejectionReason = 'not an entry' | 'truncated' | 'checksum mismatch' | 'another computation'

/** Bump when the exporter's numerics change, to invalidate cached embeddings. */
const EMBEDDING_GRAPH_REVISION = 'g1'

/** Everything that changes an embedding, so a cache entry is only reused for the same computation. */
export function embeddingNamespace(backbone: string, policy: ResizePolicy): string {
  return [backbone, policy.mode, policy.size, policy.filter, EMBEDDING_GRAPH_REVISION].join('-')
}

/** What every entry in one cache folder is an embedding of. */
export interface EmbeddingIdentity {
  /** Backbone name and preprocessing (resize mode, size, filter, graph revision): the folder's name. */
  namespace: string
  /** Fingerprint of the backbone's weights (`backboneFingerprint`): same name, other weights, other cache. */
  backbone: string
  /** Floats per embedding. */
  dim: number
}

/** What an entry's header records; checked field by field against what the reader expects. */
interface EntryHeader extends EmbeddingIdentity {
  key: string
}

/** Bumped when the entry layout changes, so entries of an older layout are plain misses, never misread. */
export const EMBEDDING_ENTRY_EXTENSION = '.wemb2'
const MAGIC = new TextEncoder().encode('WHISKEMB')
const CHECKSUM_BYTES = 32
/** Magic, then the header's byte length (uint32 LE). */
const PREAMBLE_BYTES = MAGIC.byteLength + 4

export function defaultEmbeddingCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'whisker', 'embeddings')
}

/** SHA-256 over a backbone's model.json, its weight shards in manifest order, and its spec file if any. */
export async function backboneFingerprint(folder: string): Promise<string> {
  const json = await readFile(join(folder, 'model.json'))
  const manifest = JSON.parse(json.toString('utf8')) as { weightsManifest: { paths: string[] }[] }
  const shards: Uint8Array[] = [json]
  for (const path of manifest.weightsManifest.flatMap((group) => group.paths)) {
    shards.push(await readFile(join(folder, path)))
  }
  // A user's spec file chooses the feature layer: another layer is another embedding.
  const spec = join(folder, BACKBONE_SPEC_FILE)
  if (existsSync(spec)) shards.push(await readFile(spec))
  return sha256Hex(concatBytes(shards))
}

/** The folder one computation's entries live in, under `root`. */
export function embeddingCacheFolder(root: string, identity: EmbeddingIdentity): string {
  return join(root, `${identity.namespace}-${identity.backbone.slice(0, 12)}`)
}

export function diskEmbeddingCache(root: string, identity: EmbeddingIdentity): EmbeddingCache {
  const folder = embeddingCacheFolder(root, identity)
  const pathOf = (key: string) => join(folder, key.slice(0, 2), `${key}${EMBEDDING_ENTRY_EXTENSION}`)
  const rejected: CacheRejection[] = []
  return {
    rejected,
    async get(key) {
      const bytes = await readFile(pathOf(key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined
        throw error
      })
      if (!bytes) return undefined
      const entry = decodeEntry(bytes, { ...identity, key })
      if (entry instanceof Float32Array) return entry
      rejected.push({ key, reason: entry })
      return undefined
    },
    async set(key, embedding) {
      if (embedding.length !== identity.dim) {
        throw new RangeError(`embedding of ${embedding.length} floats, cache holds ${identity.dim}`)
      }
      await writeAtomically(pathOf(key), encodeEntry({ ...identity, key }, embedding))
    },
  }
}

/** A cache that remembers nothing (`--no-cache`). */
export const noEmbeddingCache: EmbeddingCache = {
  get: async () => undefined,
  set: async () => {},
  rejected: [],
}

/** One line for the run output, or undefined when every entry found was usable. */
export function describeRejections(rejected: readonly CacheRejection[]): string | undefined {
  if (rejected.length === 0) return undefined
  const counts = new Map<CacheRejectionReason, number>()
  for (const { reason } of rejected) counts.set(reason, (counts.get(reason) ?? 0) + 1)
  const reasons = [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ')
  const one = rejected.length === 1
  return `embedding cache: ${rejected.length} ${one ? 'entry was' : 'entries were'} corrupt or stale and ${one ? 'was' : 'were'} recomputed (${reasons})`
}

/** magic | header length | header JSON | float32 LE payload | SHA-256 of everything before it. */
function encodeEntry(header: EntryHeader, embedding: Float32Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const payloadAt = PREAMBLE_BYTES + json.byteLength
  const bytes = new Uint8Array(payloadAt + embedding.byteLength + CHECKSUM_BYTES)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  view.setUint32(MAGIC.byteLength, json.byteLength, true)
  bytes.set(json, PREAMBLE_BYTES)
  for (let i = 0; i < embedding.length; i++) view.setFloat32(payloadAt + i * 4, embedding[i]!, true)
  const body = bytes.subarray(0, bytes.byteLength - CHECKSUM_BYTES)
  bytes.set(createHash('sha256').update(body).digest(), body.byteLength)
  return bytes
}

/** The embedding, or why the bytes are not the entry `expected` describes. */
function decodeEntry(bytes: Uint8Array, expected: EntryHeader): Float32Array | CacheRejectionReason {
  if (bytes.byteLength < PREAMBLE_BYTES) return 'truncated'
  if (!MAGIC.every((b, i) => bytes[i] === b)) return 'not an entry'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const payloadAt = PREAMBLE_BYTES + view.getUint32(MAGIC.byteLength, true)
  const length = payloadAt + expected.dim * 4 + CHECKSUM_BYTES
  if (bytes.byteLength < length) return 'truncated'
  if (bytes.byteLength > length) return 'not an entry'
  const body = bytes.subarray(0, length - CHECKSUM_BYTES)
  const sum = createHash('sha256').update(body).digest()
  if (!sum.equals(bytes.subarray(body.byteLength))) return 'checksum mismatch'
  // The checksum only proves the file is whole; the header proves it is this computation's entry for this key.
  if (!sameHeader(bytes.subarray(PREAMBLE_BYTES, payloadAt), expected)) return 'another computation'
  const embedding = new Float32Array(expected.dim)
  for (let i = 0; i < expected.dim; i++) embedding[i] = view.getFloat32(payloadAt + i * 4, true)
  return embedding
}

function sameHeader(json: Uint8Array, expected: EntryHeader): boolean {
  try {
    const header = JSON.parse(new TextDecoder().decode(json)) as Partial<EntryHeader>
    return (
      header.namespace === expected.namespace &&
      header.backbone === expected.backbone &&
      header.dim === expected.dim &&
      header.key === expected.key
    )
  } catch {
    return false
  }
}
