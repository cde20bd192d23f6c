import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { copyFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { registerWasmTrainingKernels } from '@whisker/model-core/kernels'
import {
  createEmbedder,
  type Embedder,
  type LoadedBackbone,
  loadBackbone,
} from '@whisker/model-core/training'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { whisker } from '../../test/support.ts'
import { DEFAULTS } from '../paths.ts'
import type { LabelledFile } from './dataset.ts'
import { embedFiles } from './embed.ts'
import {
  backboneFingerprint,
  describeRejections,
  diskEmbeddingCache,
  type EmbeddingIdentity,
  embeddingCacheFolder,
  embeddingNamespace,
  noEmbeddingCache,
} from './embedding-cache.ts'

const POLICY = { mode: 'center-crop', size: 224, filter: 'bilinear' } as const

const photo = (name: string): LabelledFile => ({
  label: name.split('.')[0]!,
  name,
  path: join(DEFAULTS.data, name),
})
const PHOTOS = ['cat.0.jpg', 'cat.1.jpg', 'dog.0.jpg', 'dog.1.jpg'].map(photo)

/** The one file holding `key`'s entry. */
function entryPath(root: string, identity: EmbeddingIdentity, key: string): string {
  const folder = join(embeddingCacheFolder(root, identity), key.slice(0, 2))
  const [name] = readdirSync(folder).filter((file) => file.startsWith(`${key}.`))
  return join(folder, name!)
}

/** The key a photo is filed under: its SHA-256, computed here by node:crypto, apart from the code under test. */
const keyOf = (file: LabelledFile) => createHash('sha256').update(readFileSync(file.path)).digest('hex')

describe('the embedding cache', () => {
  let backbone: LoadedBackbone
  let embedder: Embedder
  let identity: EmbeddingIdentity
  /** The backbone's embeddings of PHOTOS, computed without any cache. */
  let fresh: Float32Array

  const embed = (root: string) => {
    const cache = diskEmbeddingCache(root, identity)
    return embedFiles(PHOTOS, embedder, { policy: POLICY, batchSize: 4, cache }).then((set) => ({
      set,
      cache,
    }))
  }

  beforeAll(async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    backbone = await loadBackbone({ backbone: 'mobilenet_v2_0.35', modelsDir: DEFAULTS.models })
    embedder = await createEmbedder(backbone)
    identity = {
      namespace: embeddingNamespace(backbone.spec.name, POLICY),
      backbone: await backboneFingerprint(backbone.from),
      dim: embedder.dim,
    }
    const set = await embedFiles(PHOTOS, embedder, { policy: POLICY, batchSize: 4, cache: noEmbeddingCache })
    fresh = set.embeddings
  })
  afterAll(() => embedder.dispose())

  it('gives back every embedding bit for bit on a second pass', async () => {
    const root = mkdtempSync(join(tmpdir(), 'whisker-cache-'))
    const first = await embed(root)
    expect(first.set.cacheHits).toBe(0)
    expect(first.set.embeddings).toEqual(fresh)
    const second = await embed(root)
    expect(second.set.cacheHits).toBe(PHOTOS.length)
    expect(second.set.embeddings).toEqual(fresh)
    expect(second.cache.rejected).toEqual([])
  })

  it.each([
    {
      damage: 'random bytes of the entry’s own length',
      reason: 'not an entry',
      apply: (bytes: Buffer) => randomBytes(bytes.byteLength),
    },
    {
      damage: 'one flipped bit in the embedding',
      reason: 'checksum mismatch',
      apply: (bytes: Buffer) => {
        const copy = Buffer.from(bytes)
        copy[copy.byteLength - 100]! ^= 1
        return copy
      },
    },
    {
      damage: 'the last 100 bytes cut off (a torn write)',
      reason: 'truncated',
      apply: (bytes: Buffer) => bytes.subarray(0, bytes.byteLength - 100),
    },
  ])('recomputes and reports an entry with $damage', async ({ apply, reason }) => {
    const root = mkdtempSync(join(tmpdir(), 'whisker-cache-'))
    await embed(root)
    const path = entryPath(root, identity, keyOf(PHOTOS[2]!))
    writeFileSync(path, apply(readFileSync(path)))

    const { set, cache } = await embed(root)
    expect(set.cacheHits).toBe(PHOTOS.length - 1)
    expect(set.embeddings).toEqual(fresh)
    expect(cache.rejected).toEqual([{ key: keyOf(PHOTOS[2]!), reason }])
    expect(describeRejections(cache.rejected)).toBe(
      `embedding cache: 1 entry was corrupt or stale and was recomputed (1 ${reason})`,
    )
    // …and rewrote it: the next trainer finds every entry whole.
    const again = await embed(root)
    expect(again.set.cacheHits).toBe(PHOTOS.length)
    expect(again.cache.rejected).toEqual([])
  })

  it('rejects a whole entry filed under another photo, or made by other backbone weights', async () => {
    const root = mkdtempSync(join(tmpdir(), 'whisker-cache-'))
    await embed(root)
    const [cat, dog] = [keyOf(PHOTOS[0]!), keyOf(PHOTOS[2]!)]
    await copyFile(entryPath(root, identity, cat), entryPath(root, identity, dog))
    const other = { ...identity, backbone: createHash('sha256').update('other weights').digest('hex') }
    const moved = join(embeddingCacheFolder(root, other), cat.slice(0, 2))
    await mkdir(moved, { recursive: true })
    await copyFile(
      entryPath(root, identity, cat),
      join(moved, entryPath(root, identity, cat).split('/').at(-1)!),
    )

    const cache = diskEmbeddingCache(root, identity)
    expect(await cache.get(dog)).toBeUndefined()
    expect(await diskEmbeddingCache(root, other).get(cat)).toBeUndefined()
    expect(cache.rejected).toEqual([{ key: dog, reason: 'another computation' }])
  })

  it('counts a missing entry as a plain miss, not a rejection', async () => {
    const cache = diskEmbeddingCache(mkdtempSync(join(tmpdir(), 'whisker-cache-')), identity)
    expect(await cache.get(keyOf(PHOTOS[0]!))).toBeUndefined()
    expect(cache.rejected).toEqual([])
    expect(describeRejections(cache.rejected)).toBeUndefined()
  })

  it('refuses to store an embedding of the wrong width', async () => {
    const cache = diskEmbeddingCache(mkdtempSync(join(tmpdir(), 'whisker-cache-')), identity)
    await expect(cache.set(keyOf(PHOTOS[0]!), new Float32Array(identity.dim - 1))).rejects.toThrow(RangeError)
  })

  it('is shared safely by two trainers filling it at the same time', async () => {
    const root = mkdtempSync(join(tmpdir(), 'whisker-cache-'))
    const runs = mkdtempSync(join(tmpdir(), 'whisker-runs-'))
    const train = (out: string) =>
      whisker(
        ...['train', '--limit-per-class', '8', '--epochs', '1', '--quantize', 'float16'],
        ...['--cache-dir', root, '--runs', runs, '--out', join(runs, out)],
      )
    const both = await Promise.all([train('a'), train('b')])
    for (const { code, stderr } of both) {
      expect(code, stderr).toBe(0)
      expect(stderr).not.toMatch(/corrupt or stale/)
    }

    // Every entry either trainer left is whole, this computation's, and the backbone's embedding of its photo.
    const byKey = new Map(readdirSync(DEFAULTS.data).map((name) => [keyOf(photo(name)), photo(name)]))
    const folder = embeddingCacheFolder(root, identity)
    const all = readdirSync(folder).flatMap((prefix) =>
      readdirSync(join(folder, prefix)).map((name) => name.split('.')[0]!),
    )
    // 16 photos and their mirrors; the photos' own entries are checked against fresh embeddings below.
    expect(all).toHaveLength(32)
    const keys = all.filter((key) => !key.endsWith('-mirror'))
    expect(keys).toHaveLength(16)
    expect(
      readdirSync(folder)
        .flatMap((p) => readdirSync(join(folder, p)))
        .join(),
    ).not.toMatch(/tmp/)
    const files = keys.map((key) => byKey.get(key)!)
    const expected = await embedFiles(files, embedder, {
      policy: POLICY,
      batchSize: 8,
      cache: noEmbeddingCache,
    })
    const cache = diskEmbeddingCache(root, identity)
    const stored = await embedFiles(files, embedder, { policy: POLICY, batchSize: 8, cache })
    expect(stored.cacheHits).toBe(16)
    expect(cache.rejected).toEqual([])
    expect(stored.embeddings).toEqual(expected.embeddings)
  })
})
