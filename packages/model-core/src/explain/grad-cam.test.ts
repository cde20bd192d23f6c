import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers' // also registers tfjs' gradients, as in the trainer
import { type RgbImage, toModelInput } from '@whisker/preprocess'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSeedCnn, SEED_CNN_INPUT } from '../architectures/seed-cnn.ts'
import type { GraphNode, ModelArtifacts, NamedTensor } from '../artifacts.ts'
import type { ModelCard } from '../card.ts'
import { convertLayersModel } from '../export/convert.ts'
import { constNode } from '../export/graph-def.ts'
import { contentVersion, serializeGraph } from '../export/index.ts'
import { type Classifier, loadClassifier } from '../predictor.ts'
import { validCard } from '../test-support/card.ts'
import { seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import { ExplainUnsupportedError } from './grad-cam.ts'
import { findExplainNodes } from './nodes.ts'

beforeAll(useWasmBackend)

const SIZE = 8
const SCALE = 1 / 255
/** 1×1 convolution, two filters: "redness" r − (g + b)/2 and "blueness" b − (r + g)/2 (rows: r, g, b). */
const COLOUR_KERNEL = [
  [1, -0.5],
  [-0.5, -0.5],
  [-0.5, 1],
]

type Head =
  | { kind: 'linear'; w: number[][]; b: number[] }
  | {
      kind: 'hidden'
      w1: number[][]
      b1: number[]
      w2: number[][]
      b2: number[]
    }

/** A linear head over the colour features: redness → cat, blueness → dog. */
const COLOUR_HEAD: Head = {
  kind: 'linear',
  w: [
    [4, -4],
    [-4, 4],
  ],
  b: [0, 0],
}

/**
 * pixels (8×8×3, scaled to [0, 1] in the graph) → 1×1 conv + ReLU `features` (k filters) → global average
 * pool `embedding` → the head → softmax over cat, dog. Small enough to recompute by hand.
 */
function buildModel(kernel: number[][], head: Head): tfl.LayersModel {
  const filters = kernel[0]!.length
  const input = tfl.input({ shape: [SIZE, SIZE, 3] })
  const conv = tfl.layers.conv2d({ filters, kernelSize: 1, activation: 'relu', name: 'features' })
  let x = conv.apply(input) as tfl.SymbolicTensor
  conv.setWeights([tf.tensor4d(kernel.flat(), [1, 1, 3, filters]), tf.zeros([filters])])
  x = tfl.layers.globalAveragePooling2d({ name: 'embedding' }).apply(x) as tfl.SymbolicTensor
  const dense = (w: number[][], b: number[], activation: 'relu' | 'softmax', name: string) => {
    const layer = tfl.layers.dense({ units: b.length, activation, name })
    x = layer.apply(x) as tfl.SymbolicTensor
    layer.setWeights([tf.tensor2d(w), tf.tensor1d(b)])
  }
  if (head.kind === 'hidden') {
    dense(head.w1, head.b1, 'relu', 'hidden')
    dense(head.w2, head.b2, 'softmax', 'scores')
  } else dense(head.w, head.b, 'softmax', 'scores')
  return tfl.model({ inputs: input, outputs: x })
}

function convert(model: tfl.LayersModel) {
  return convertLayersModel(model, {
    inputName: 'pixels',
    outputName: 'probabilities',
    normalization: { scale: SCALE, offset: 0 },
  })
}

async function artifactsOf(nodes: GraphNode[], tensors: NamedTensor[], size = SIZE): Promise<ModelArtifacts> {
  const graph = serializeGraph(nodes, tensors, 'none')
  const card: ModelCard = {
    ...validCard(),
    version: await contentVersion(graph),
    quantization: 'none',
    input: {
      shape: [size, size, 3],
      resize: { mode: 'stretch', size, filter: 'bilinear' },
      normalization: { scale: SCALE, offset: 0 },
    },
  }
  return { ...graph, card }
}

/** An image painted by `colour(x, y)`. */
function paint(colour: (x: number, y: number) => [number, number, number], size = SIZE): RgbImage {
  const data = new Uint8Array(size * size * 3)
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.set(colour(x, y), (y * size + x) * 3)
  return { width: size, height: size, data }
}

const RED: [number, number, number] = [255, 0, 0]
const BLUE: [number, number, number] = [0, 0, 255]
const GREY: [number, number, number] = [128, 128, 128]

/** The heatmap as rows of numbers, for readable failures. */
const rows = (values: Float32Array, width: number) =>
  Array.from({ length: values.length / width }, (_, y) =>
    Array.from(values.subarray(y * width, (y + 1) * width)),
  )

describe('Grad-CAM on a model with a known answer', () => {
  let classifier: Classifier
  let leftOnly: Classifier

  beforeAll(async () => {
    const { nodes, tensors } = convert(buildModel(COLOUR_KERNEL, COLOUR_HEAD))
    classifier = await loadClassifier(await artifactsOf(nodes, tensors))

    // The same network, blind to the right half of the photo: the normalised pixels are multiplied by a
    // mask (1 on the left four columns, 0 on the right four) before the convolution sees them.
    const mask = Float32Array.from({ length: SIZE * SIZE }, (_, i) => (i % SIZE < SIZE / 2 ? 1 : 0))
    const masked: GraphNode[] = nodes.map((node) =>
      node.name === 'features' ? { ...node, input: ['masked', ...(node.input ?? []).slice(1)] } : node,
    )
    masked.push(constNode('mask', [1, SIZE, SIZE, 1], 'float32'), {
      name: 'masked',
      op: 'Mul',
      input: ['pixels/normalized', 'mask'],
      attr: { T: { type: 'DT_FLOAT' } },
    })
    leftOnly = await loadClassifier(
      await artifactsOf(masked, [
        ...tensors,
        { name: 'mask', shape: [1, SIZE, SIZE, 1], dtype: 'float32', data: mask },
      ]),
    )
  })
  afterAll(() => {
    classifier.dispose()
    leftOnly.dispose()
  })

  it('finds the feature map and the logits in the exported graph, and calls a linear head CAM', () => {
    expect(classifier.explainNodes).toEqual({
      method: 'cam',
      featureNode: 'features',
      scoreNode: 'scores/logits',
    })
  })

  it('lights up exactly the left half for a model that only looks at the left half', async () => {
    // All red: the model sees red on the left only, so that is the whole of its evidence for "cat".
    const { classification, heatmap } = await leftOnly.explain(paint(() => RED))
    expect(classification.label).toBe('cat')
    expect(heatmap).toMatchObject({ label: 'cat', classIndex: 0, height: SIZE, width: SIZE, method: 'cam' })
    const expected = Array.from({ length: SIZE }, () =>
      Array.from({ length: SIZE }, (_, x) => (x < 4 ? 1 : 0)),
    )
    expect(rows(heatmap.values, SIZE)).toEqual(expected)
  })

  it('ignores the right half entirely in that model: its answer does not move when only the right changes', async () => {
    const left = (right: [number, number, number]) => paint((x) => (x < 4 ? RED : right))
    const [a] = await leftOnly.probabilities([left(GREY)])
    const [b] = await leftOnly.probabilities([left(BLUE)])
    expect(Array.from(b!)).toEqual(Array.from(a!))
  })

  it('follows the evidence: a red square on grey lights up that square and nothing else', async () => {
    const square = (x: number, y: number) => x >= 5 && y < 3
    const { classification, heatmap } = await classifier.explain(paint((x, y) => (square(x, y) ? RED : GREY)))
    expect(classification.label).toBe('cat')
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) expect(heatmap.values[y * SIZE + x]).toBeCloseTo(square(x, y) ? 1 : 0, 6)
  })

  it('explains the class it answers: blue on the left makes a dog, and the left is where it looked', async () => {
    const { classification, heatmap } = await classifier.explain(paint((x) => (x < 3 ? BLUE : GREY)))
    expect(classification.label).toBe('dog')
    expect(heatmap.label).toBe('dog')
    expect(heatmap.classIndex).toBe(1)
    const columns = Array.from({ length: SIZE }, (_, x) => heatmap.values[x])
    expect(columns).toEqual([1, 1, 1, 0, 0, 0, 0, 0])
  })

  it('explains another class when asked: the dog in a picture with red on the left and blue on the right', async () => {
    const image = paint((x) => (x < 2 ? RED : x >= 6 ? BLUE : GREY))
    const { classification, heatmap } = await classifier.explain(image, { classIndex: 1 })
    expect(classification.predictions.map((p) => p.label).sort()).toEqual(['cat', 'dog'])
    expect(heatmap).toMatchObject({ label: 'dog', classIndex: 1 })
    expect(Array.from({ length: SIZE }, (_, x) => heatmap.values[x])).toEqual([0, 0, 0, 0, 0, 0, 1, 1])
    const cat = await classifier.explain(image, { classIndex: 0 })
    expect(Array.from({ length: SIZE }, (_, x) => cat.heatmap.values[x])).toEqual([1, 1, 0, 0, 0, 0, 0, 0])
  })

  it('refuses classes that are not one label index per input', async () => {
    const pixels = new Float32Array(SIZE * SIZE * 3)
    await expect(classifier.explainInputs(pixels, 1, [2])).rejects.toBeInstanceOf(RangeError)
    await expect(classifier.explainInputs(pixels, 1, [0, 1])).rejects.toBeInstanceOf(RangeError)
  })

  it('reads any node for the tutorial pictures: the feature map of a red-left picture', async () => {
    const { shape, values } = await classifier.activations(
      paint((x) => (x < 4 ? RED : GREY)),
      'features',
    )
    expect(shape).toEqual([1, SIZE, SIZE, 2])
    for (let p = 0; p < SIZE * SIZE; p++) {
      expect(values[p * 2]).toBeCloseTo(p % SIZE < 4 ? 1 : 0, 5) // redness
      expect(values[p * 2 + 1]).toBeCloseTo(0, 5) // blueness
    }
  })

  it('is all zeros when nothing in the picture speaks for the class', async () => {
    const { heatmap } = await classifier.explain(paint(() => GREY)) // a tie; no feature fires
    expect(Array.from(heatmap.values).every((v) => v === 0)).toBe(true)
  })

  it('gives each image of a batch the same heatmap as alone, and leaks no tensors', async () => {
    const images = [paint((x) => (x < 2 ? RED : GREY)), paint((_x, y) => (y > 5 ? BLUE : GREY))]

    const pixels = new Float32Array(2 * SIZE * SIZE * 3)
    images.forEach((image, i) => {
      pixels.set(toModelInput(image, classifier.card.input.resize), i * SIZE * SIZE * 3)
    })
    await classifier.explainInputs(pixels, 2)
    const before = tf.memory().numTensors
    const batch = await classifier.explainInputs(pixels, 2)
    for (const [i, image] of images.entries()) {
      const alone = await classifier.explain(image)
      expect(Array.from(batch[i]!.heatmap.values)).toEqual(Array.from(alone.heatmap.values))
      expect(batch[i]!.heatmap.label).toBe(alone.classification.label)
    }
    expect(tf.memory().numTensors).toBe(before)
  })
})

/** Plain-JS reference: relu(1×1 conv) features, then CAM / Grad-CAM from the weights, normalised. */
function referenceMap(image: RgbImage, kernel: number[][], head: Head): { label: number; map: number[] } {
  const k = kernel[0]!.length
  const cells = SIZE * SIZE
  const features = Array.from({ length: cells }, (_, p) =>
    Array.from({ length: k }, (_, f) => {
      let sum = 0
      for (let c = 0; c < 3; c++) sum += image.data[p * 3 + c]! * SCALE * kernel[c]![f]!
      return Math.max(0, sum)
    }),
  )
  const embedding = Array.from({ length: k }, (_, f) => features.reduce((s, v) => s + v[f]!, 0) / cells)
  const affine = (x: number[], w: number[][], b: number[]) =>
    b.map((bias, j) => x.reduce((s, xi, i) => s + xi * w[i]![j]!, bias))
  // ∂logit_c/∂embedding, in closed form.
  let logits: number[]
  let gradient: (c: number) => number[]
  if (head.kind === 'linear') {
    logits = affine(embedding, head.w, head.b)
    gradient = (c) => head.w.map((row) => row[c]!)
  } else {
    const hidden = affine(embedding, head.w1, head.b1)
    const active = hidden.map((h) => (h > 0 ? 1 : 0))
    logits = affine(
      hidden.map((h) => Math.max(0, h)),
      head.w2,
      head.b2,
    )
    gradient = (c) => head.w1.map((row) => row.reduce((s, w, u) => s + w * active[u]! * head.w2[u]![c]!, 0))
  }
  const label = logits.indexOf(Math.max(...logits))
  const alpha = gradient(label).map((g) => g / cells) // the mean over positions of ∂y/∂F
  const raw = features.map((f) =>
    Math.max(
      0,
      f.reduce((s, v, i) => s + v * alpha[i]!, 0),
    ),
  )
  const peak = Math.max(...raw)
  return { label, map: raw.map((v) => (peak > 0 ? v / peak : 0)) }
}

describe('Grad-CAM against a reference computed by hand', () => {
  const random = seededRandom(11)
  const matrix = (rowsCount: number, cols: number) =>
    Array.from({ length: rowsCount }, () => Array.from(uniform(random, cols, -1, 1)))
  const kernel = matrix(3, 6)
  const heads: Head[] = [
    { kind: 'linear', w: matrix(6, 3), b: Array.from(uniform(random, 3, -0.2, 0.2)) },
    {
      kind: 'hidden',
      w1: matrix(6, 5),
      b1: Array.from(uniform(random, 5, -0.1, 0.1)),
      w2: matrix(5, 3),
      b2: Array.from(uniform(random, 3, -0.2, 0.2)),
    },
  ]
  const images = [1, 2, 3, 4].map((seed) => {
    const r = seededRandom(seed)
    return paint(() => [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)])
  })

  for (const backend of ['wasm', 'cpu']) {
    for (const head of heads) {
      it(`matches on ${backend} with a ${head.kind} head (${head.kind === 'linear' ? 'CAM' : 'Grad-CAM'})`, async () => {
        await tf.setBackend(backend)
        const model = buildModel(kernel, head)
        const { nodes, tensors } = convert(model)
        const artifacts = await artifactsOf(nodes, tensors)
        const labels = ['cat', 'dog', 'fox']
        const classifier = await loadClassifier({ ...artifacts, card: { ...artifacts.card, labels } })
        try {
          expect(classifier.explainNodes?.method).toBe(head.kind === 'linear' ? 'cam' : 'grad-cam')
          for (const image of images) {
            const expected = referenceMap(image, kernel, head)
            const { classification, heatmap } = await classifier.explain(image)
            expect(classification.label).toBe(labels[expected.label])
            expect(heatmap.classIndex).toBe(expected.label)
            for (const [i, v] of expected.map.entries()) expect(heatmap.values[i]).toBeCloseTo(v, 4)
          }
        } finally {
          classifier.dispose()
          model.dispose()
          await useWasmBackend()
        }
      })
    }
  }
})

describe('findExplainNodes', () => {
  /** The colour model of the first tests: what the last two tests vary is its card. */
  const colourModel = async () => {
    const { nodes, tensors } = convert(buildModel(COLOUR_KERNEL, COLOUR_HEAD))
    return artifactsOf(nodes, tensors)
  }

  it("finds the seed CNN's last pooled feature map behind its Flatten, and calls it Grad-CAM", async () => {
    const model = buildSeedCnn({ classes: 2, seed: 3 })
    const { nodes, tensors } = convertLayersModel(model, {
      inputName: 'pixels',
      outputName: 'probabilities',
      normalization: SEED_CNN_INPUT.normalization,
    })
    const found = findExplainNodes(nodes, 'probabilities')
    const pools = nodes.filter((n) => n.op === 'MaxPool').map((n) => n.name)
    expect(found).toEqual({
      method: 'grad-cam',
      featureNode: pools.at(-1),
      scoreNode: expect.stringMatching(/\/logits$/),
    })

    const classifier = await loadClassifier(await artifactsOf(nodes, tensors, SEED_CNN_INPUT.size))
    const r = seededRandom(5)
    const image = paint(() => [Math.floor(r() * 256), 90, 200], SEED_CNN_INPUT.size)
    const { heatmap } = await classifier.explain(image)
    expect([heatmap.height, heatmap.width]).toEqual([18, 18]) // 150 → 75 → 37 → 18
    expect(Math.max(...heatmap.values)).toBeLessThanOrEqual(1)
    expect(Math.min(...heatmap.values)).toBeGreaterThanOrEqual(0)
    classifier.dispose()
    model.dispose()
  })

  it('answers undefined for a graph with no pooled feature map, and explain then refuses', async () => {
    const nodes: GraphNode[] = [
      { name: 'pixels', op: 'Placeholder' },
      { name: 'conv', op: '_FusedConv2D', input: ['pixels', 'k', 'b'] },
      { name: 'probabilities', op: 'Softmax', input: ['conv'] },
    ]
    expect(findExplainNodes(nodes, 'probabilities')).toBeUndefined()
    expect(findExplainNodes(nodes, 'missing')).toBeUndefined()
  })

  it('prefers what the card says', async () => {
    const artifacts = await colourModel()
    const explain = {
      method: 'grad-cam' as const,
      featureNode: 'features',
      scoreNode: 'scores/logits',
      grid: [8, 8] as [number, number],
    }
    const classifier = await loadClassifier({ ...artifacts, card: { ...artifacts.card, explain } })
    expect(classifier.explainNodes).toEqual(explain)
    expect((await classifier.explain(paint(() => RED))).heatmap.method).toBe('grad-cam')
    classifier.dispose()
  })

  it('throws EXPLAIN_UNSUPPORTED from explain when the graph cannot explain itself', async () => {
    const artifacts = await colourModel()
    const classifier = await loadClassifier({
      ...artifacts,
      card: { ...artifacts.card, graph: { input: 'pixels', output: 'features' } },
    })
    expect(classifier.explainNodes).toBeUndefined()
    await expect(classifier.explain(paint(() => RED))).rejects.toBeInstanceOf(ExplainUnsupportedError)
    classifier.dispose()
  })
})
