import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { type RgbImage, toModelInput } from '@whisker/preprocess'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelArtifacts } from './artifacts.ts'
import { InvalidModelCardError, type ModelCard } from './card.ts'
import { contentVersion, exportGraphModel } from './export/index.ts'
import { type Classifier, loadClassifier, rank } from './predictor.ts'
import { validCard } from './test-support/card.ts'
import { maxAbsDiff, runLayers, seededRandom, useWasmBackend } from './test-support/tf.ts'

beforeAll(useWasmBackend)

describe('rank', () => {
  const labels = ['cat', 'dog', 'fox']
  const probs = new Float32Array([0.2, 0.7, 0.1])

  it('sorts the classes by score, highest first, keeping each label with its own score', () => {
    expect(rank(labels, probs).predictions).toEqual([
      { label: 'dog', score: expect.closeTo(0.7, 6) },
      { label: 'cat', score: expect.closeTo(0.2, 6) },
      { label: 'fox', score: expect.closeTo(0.1, 6) },
    ])
  })

  it('answers with the top entry as label and confidence', () => {
    const answer = rank(labels, probs)
    expect(answer.label).toBe('dog')
    expect(answer.confidence).toBe(answer.predictions[0]!.score)
  })

  it.each([
    [undefined, 3],
    [2, 2],
    [1, 1],
    [0, 1],
    [-5, 1],
    [10, 3],
  ])('with topK %s returns %i predictions (all by default, never fewer than one)', (topK, count) => {
    const answer = rank(labels, probs, topK)
    expect(answer.predictions).toHaveLength(count)
    expect(answer.label).toBe('dog')
  })

  it('keeps label order between equal scores, and scores missing probabilities as 0', () => {
    expect(
      rank(['a', 'b', 'c'], new Float32Array([0.5, 0.5])).predictions.map((p) => [p.label, p.score]),
    ).toEqual([
      ['a', 0.5],
      ['b', 0.5],
      ['c', 0],
    ])
  })
})

const NORMALIZATION = { scale: 1 / 127.5, offset: -1 }

/**
 * 8×8×3 pixels → global average pool → Dense(2, softmax), with weights chosen so that the answer is
 * readable: a red image is a "cat", a blue one a "dog".
 */
function buildTinyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] })
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(input) as tfl.SymbolicTensor
  const dense = tfl.layers.dense({ units: 2, activation: 'softmax' })
  const output = dense.apply(pooled) as tfl.SymbolicTensor
  dense.setWeights([tf.tensor2d([2, -2, 0, 0, -2, 2], [3, 2]), tf.tensor1d([0.1, -0.1])])
  return tfl.model({ inputs: input, outputs: output })
}

async function tinyArtifacts(model: tfl.LayersModel): Promise<ModelArtifacts> {
  const graph = exportGraphModel(model, {
    inputName: 'pixels',
    outputName: 'probabilities',
    normalization: NORMALIZATION,
    quantization: 'none',
  })
  const card: ModelCard = {
    ...validCard(),
    version: await contentVersion(graph),
    quantization: 'none',
    input: {
      shape: [8, 8, 3],
      resize: { mode: 'stretch', size: 8, filter: 'bilinear' },
      normalization: NORMALIZATION,
    },
  }
  return { ...graph, card }
}

function solid(width: number, height: number, [r, g, b]: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < data.length; i += 3) data.set([r, g, b], i)
  return { width, height, data }
}

function noise(width: number, height: number, seed: number): RgbImage {
  const random = seededRandom(seed)
  return {
    width,
    height,
    data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)),
  }
}

describe('loadClassifier', () => {
  let model: tfl.LayersModel
  let artifacts: ModelArtifacts
  let classifier: Classifier
  // Different sizes and aspect ratios: the card's stretch policy brings each to 8×8.
  const images = [noise(8, 8, 1), noise(20, 12, 2), noise(5, 9, 3), solid(30, 30, [255, 0, 0])]

  beforeAll(async () => {
    model = buildTinyModel()
    artifacts = await tinyArtifacts(model)
    classifier = await loadClassifier(artifacts)
  })
  afterAll(() => {
    classifier.dispose()
    model.dispose()
  })

  it('exposes the parsed card', () => {
    expect(classifier.card).toEqual(artifacts.card)
  })

  it('refuses artifacts whose card is invalid, before loading any graph', async () => {
    const before = tf.memory().numTensors
    const broken = { ...artifacts, card: { ...artifacts.card, labels: ['cat'] } }
    await expect(loadClassifier(broken)).rejects.toBeInstanceOf(InvalidModelCardError)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('returns one Float32Array of class probabilities per image, each summing to 1', async () => {
    const probabilities = await classifier.probabilities(images)
    expect(probabilities).toHaveLength(images.length)
    for (const p of probabilities) {
      expect(p).toBeInstanceOf(Float32Array)
      expect(p).toHaveLength(2)
      expect(p[0]! + p[1]!).toBeCloseTo(1, 6)
    }
  })

  it('preprocesses exactly as the card says: resize policy, then the scaling inside the graph', async () => {
    const probabilities = await classifier.probabilities(images)
    const resize = artifacts.card.input.resize
    for (const [i, image] of images.entries()) {
      const pixels = tf.tensor4d(toModelInput(image, resize), [1, 8, 8, 3])
      const expected = await runLayers(
        model,
        tf.add(tf.mul(pixels, NORMALIZATION.scale), NORMALIZATION.offset),
      )
      expect(maxAbsDiff(probabilities[i]!, expected)).toBeLessThan(1e-6)
    }
  })

  it('gives each image of a batch the same answer as alone', async () => {
    const batch = await classifier.probabilities(images)
    for (const [i, image] of images.entries()) {
      const [alone] = await classifier.probabilities([image])
      expect(maxAbsDiff(batch[i]!, alone!)).toBeLessThan(1e-6)
    }
  })

  it('returns nothing for no images', async () => {
    expect(await classifier.probabilities([])).toEqual([])
  })

  it('classifies a red image as the first label and a blue one as the second', async () => {
    const red = await classifier.classify(solid(16, 10, [255, 0, 0]))
    const blue = await classifier.classify(solid(16, 10, [0, 0, 255]))
    expect(red.label).toBe('cat')
    expect(blue.label).toBe('dog')
    expect(red.confidence).toBeGreaterThan(0.99)
    expect(red.predictions.map((p) => p.label)).toEqual(['cat', 'dog'])
  })

  it('answers classify with the ranked probabilities, honouring topK', async () => {
    const image = images[1]!
    const [probs] = await classifier.probabilities([image])
    expect(await classifier.classify(image)).toEqual(rank(artifacts.card.labels, probs!))
    expect((await classifier.classify(image, { topK: 1 })).predictions).toHaveLength(1)
  })

  it('leaks no tensors across 20 classify calls', async () => {
    await classifier.classify(images[0]!)
    const before = tf.memory().numTensors
    for (let i = 0; i < 20; i++) await classifier.classify(images[i % images.length]!)
    await classifier.probabilities(images)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('frees its weights on dispose', async () => {
    const other = await loadClassifier(artifacts)
    const loaded = tf.memory().numTensors
    other.dispose()
    expect(tf.memory().numTensors).toBeLessThan(loaded)
  })
})
