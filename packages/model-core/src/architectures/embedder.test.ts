import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { fakeBackbone } from '../test-support/fake-backbone.ts'
import { maxAbsDiff, runLayers, seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import { createEmbedder } from './embedder.ts'
import { embeddingModel } from './transfer.ts'

beforeAll(useWasmBackend)

describe('createEmbedder', () => {
  it('embeds raw pixels as the Layers embedding model does on scaled pixels', async () => {
    const backbone = fakeBackbone()
    const embedder = await createEmbedder(backbone)
    expect(embedder.dim).toBe(4)
    expect(embedder.inputSize).toBe(8)

    const pixels = uniform(seededRandom(51), 3 * 8 * 8 * 3, 0, 255)
    const { scale, offset } = backbone.spec.normalization
    const scaled = tf.add(tf.mul(tf.tensor4d(pixels, [3, 8, 8, 3]), scale), offset)
    const expected = await runLayers(embeddingModel(backbone), scaled)
    const actual = await embedder.embed(pixels, 3)
    expect(actual).toHaveLength(3 * 4)
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5)
    embedder.dispose()
  })

  it('leaks no tensors per batch', async () => {
    const embedder = await createEmbedder(fakeBackbone())
    const pixels = uniform(seededRandom(52), 8 * 8 * 3, 0, 255)
    await embedder.embed(pixels, 1)
    const before = tf.memory().numTensors
    for (let i = 0; i < 10; i++) await embedder.embed(pixels, 1)
    expect(tf.memory().numTensors).toBe(before)
    embedder.dispose()
  })
})
