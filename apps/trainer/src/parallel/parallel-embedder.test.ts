import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { registerWasmTrainingKernels } from '@whisker/model-core/kernels'
import {
  createEmbedder,
  createTrunkEmbedder,
  loadBackbone,
  splitBackbone,
} from '@whisker/model-core/training'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeTruncatedJpeg } from '../../test/support.ts'
import { AUGMENT_PRESETS } from '../augment/presets.ts'
import type { LabelledFile } from '../data/dataset.ts'
import { embedFiles } from '../data/embed.ts'
import { diskEmbeddingCache, noEmbeddingCache } from '../data/embedding-cache.ts'
import { DEFAULTS } from '../paths.ts'
import { createParallelEmbedder, defaultWorkers } from './parallel-embedder.ts'

const POLICY = { mode: 'center-crop', size: 224, filter: 'bilinear' } as const
const SOURCE = { backbone: 'mobilenet_v2_0.35', modelsDir: DEFAULTS.models }
const PHOTOS: LabelledFile[] = ['cat.0.jpg', 'cat.1.jpg', 'cat.100.jpg', 'dog.0.jpg', 'dog.1.jpg'].map(
  (name) => ({ label: name.split('.')[0]!, name, path: join(DEFAULTS.data, name) }),
)

describe('the parallel embedder', () => {
  /** PHOTOS embedded in this thread, in one batch: what any worker count must give back. */
  let inProcess: Float32Array

  beforeAll(async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    const embedder = await createEmbedder(await loadBackbone(SOURCE))
    inProcess = (
      await embedFiles(PHOTOS, embedder, { policy: POLICY, batchSize: 8, cache: noEmbeddingCache })
    ).embeddings
    embedder.dispose()
  })

  it.each([1, 2, 3])('gives the in-process embeddings bit for bit with %i worker(s)', async (workers) => {
    const embedder = await createParallelEmbedder(SOURCE, 'wasm', workers)
    try {
      const set = await embedFiles(PHOTOS, embedder, {
        policy: POLICY,
        batchSize: 8,
        cache: noEmbeddingCache,
      })
      expect(set.files.map((f) => f.name)).toEqual(PHOTOS.map((f) => f.name))
      expect(Buffer.from(set.embeddings.buffer)).toEqual(Buffer.from(inProcess.buffer))
    } finally {
      embedder.dispose()
    }
  })

  it('decodes, augments and mirrors in the workers exactly as in-process, and skips what cannot be read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whisker-parallel-'))
    const truncated = join(dir, 'cat.truncated.jpg')
    await writeTruncatedJpeg(truncated)
    // The unreadable photo sits mid-batch and mid-shard, where losing rows' order would show.
    const files = [
      ...PHOTOS.slice(0, 2),
      { label: 'cat', name: 'cat.truncated.jpg', path: truncated },
      ...PHOTOS.slice(2),
    ]
    const augment = { preset: 'strong', spec: AUGMENT_PRESETS.strong, seed: 7, view: 1 }
    const options = { policy: POLICY, batchSize: 6, cache: noEmbeddingCache, augment, mirror: true }
    const local = await createEmbedder(await loadBackbone(SOURCE))
    const expected = await embedFiles(files, local, options).finally(() => local.dispose())
    const embedder = await createParallelEmbedder(SOURCE, 'wasm', 2)
    try {
      const set = await embedFiles(files, embedder, options)
      expect(set.unreadable).toEqual([
        { name: 'cat.truncated.jpg', reason: expect.stringMatching(/^CORRUPT_IMAGE: /) },
      ])
      expect(set.files.map((f) => f.name)).toEqual(PHOTOS.map((f) => f.name))
      expect(Buffer.from(set.embeddings.buffer)).toEqual(Buffer.from(expected.embeddings.buffer))
      expect(Buffer.from(set.embeddings.buffer)).not.toEqual(Buffer.from(inProcess.buffer))
    } finally {
      embedder.dispose()
    }
  })

  it('gives fine-tuning’s trunk features, below the same cut, bit for bit', async () => {
    const backbone = await loadBackbone(SOURCE)
    const local = await createTrunkEmbedder(backbone, splitBackbone(backbone.model, 11))
    const options = { policy: POLICY, batchSize: 8, cache: noEmbeddingCache, mirror: true }
    const expected = await embedFiles(PHOTOS, local, options).finally(() => local.dispose())
    const embedder = await createParallelEmbedder(SOURCE, 'wasm', 2, 11)
    try {
      const set = await embedFiles(PHOTOS, embedder, options)
      expect(set.embeddings.length).toBe(expected.embeddings.length)
      expect(embedder.dim).toBeGreaterThan(inProcess.length / PHOTOS.length)
      expect(Buffer.from(set.embeddings.buffer)).toEqual(Buffer.from(expected.embeddings.buffer))
    } finally {
      embedder.dispose()
    }
  })

  it('fills the embedding cache, and a second pass reads every row back from it', async () => {
    const embedder = await createParallelEmbedder(SOURCE, 'wasm', 2)
    try {
      const identity = { namespace: 'parallel-test', backbone: 'x', dim: embedder.dim }
      const root = mkdtempSync(join(tmpdir(), 'whisker-parallel-'))
      const first = await embedFiles(PHOTOS, embedder, {
        policy: POLICY,
        batchSize: 4,
        cache: diskEmbeddingCache(root, identity),
      })
      const second = await embedFiles(PHOTOS, embedder, {
        policy: POLICY,
        batchSize: 4,
        cache: diskEmbeddingCache(root, identity),
      })
      expect(first.cacheHits).toBe(0)
      expect(second.cacheHits).toBe(PHOTOS.length)
      expect(second.embeddings).toEqual(inProcess)
    } finally {
      embedder.dispose()
    }
  })

  it('defaults to the cores this process may use', () => {
    expect(defaultWorkers()).toBeGreaterThanOrEqual(1)
  })
})
