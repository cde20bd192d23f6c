import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MODEL_FILES } from '../artifacts.ts'
import type { TensorEncoding } from '../export/quantize.ts'
import { serializeGraph } from '../export/serialize.ts'
import { loadClassifier } from '../predictor.ts'
import { CUT, cutSpec, writeGraphBackbone, writeLayersBackbone } from '../test-support/backbone-folders.ts'
import { validCard } from '../test-support/card.ts'
import { photoPixels } from '../test-support/photos.ts'
import { rejection } from '../test-support/rejection.ts'
import { loadStock, maxAbsDiff, useWasmBackend } from '../test-support/tf.ts'
import { InvalidBackboneSpecError } from './backbones.ts'
import { createEmbedder } from './embedder.ts'
import { FeatureNodeNotFoundError, type GraphBackbone, UnsupportedGraphError } from './graph-backbone.ts'
import {
  type AnyBackbone,
  GraphBackboneNotTrainableError,
  type LoadedBackbone,
  loadAnyBackbone,
  loadBackbone,
} from './load-backbone.ts'
import { transferGraph } from './served-graph.ts'
import { buildHead } from './transfer.ts'

beforeAll(useWasmBackend)

const PHOTOS = 4
let scratch: string
let pixels: Float32Array
let layers: LoadedBackbone
let graph: GraphBackbone
let folders = 0
const folder = () => join(scratch, `backbone-${++folders}`)

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'whisker-graph-backbone-'))
  pixels = await photoPixels(PHOTOS)
  layers = await loadBackbone({ backbone: await writeLayersBackbone(folder()) })
  const loaded = await loadAnyBackbone({ backbone: await writeGraphBackbone(folder()) })
  if (loaded.kind !== 'graph') throw new Error('the graph folder loaded as a layers model')
  graph = loaded
}, 60_000)
afterAll(async () => {
  layers.model.dispose()
  await rm(scratch, { recursive: true, force: true })
})

async function embeddings(backbone: AnyBackbone, input = pixels): Promise<Float32Array> {
  const embedder = await createEmbedder(backbone)
  try {
    return await embedder.embed(input, input.length / (224 * 224 * 3))
  } finally {
    embedder.dispose()
  }
}

describe('a graph-model backbone (a folder whose model.json is a tfjs graph model)', () => {
  it('loads cut at its feature node: one image input, the nodes that node needs, a measured feature map', () => {
    expect(graph).toMatchObject({ kind: 'graph', featureShape: [null, 14, 14, CUT.featureDim] })
    expect(graph.featureNode).toBe(`backbone/${CUT.node}`)
    const names = graph.graph.nodes.map((n) => n.name)
    expect(names).toContain(`backbone/${CUT.node}`)
    // Beyond the feature node (block 14) and the file's own output are cut away, and so is its placeholder.
    expect(names.filter((n) => /block_14|Identity/.test(n))).toEqual([])
    expect(graph.graph.nodes.filter((n) => n.op === 'Placeholder')).toEqual([])
    expect(new Set(graph.graph.tensors.map((t) => t.name))).toEqual(
      new Set(graph.graph.nodes.filter((n) => n.op === 'Const').map((n) => n.name)),
    )
  })

  it('embeds real photos as the same network stored as a layers model does', async () => {
    const expected = await embeddings(layers)
    const actual = await embeddings(graph)
    expect(actual).toHaveLength(PHOTOS * CUT.featureDim)
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5)
  })

  it.each<TensorEncoding>(['float16', 'uint8'])(
    'dequantizes a graph stored in %s: embeddings as stock tfjs computes them from that file',
    async (storage) => {
      const stored = await writeGraphBackbone(folder(), { storage })
      const backbone = await loadAnyBackbone({ backbone: stored })
      // Stock tfjs on the very files: scale the pixels, run to the feature node, mean-pool.
      const model = await loadStock({
        modelJson: JSON.parse(await readFile(join(stored, MODEL_FILES.graph), 'utf8')),
        weights: new Uint8Array(await readFile(join(stored, MODEL_FILES.weights))).buffer,
      })
      const { scale, offset } = backbone.spec.normalization
      const input = tf.add(tf.mul(tf.tensor4d(pixels, [PHOTOS, 224, 224, 3]), scale), offset)
      const expected = await tf.mean(model.execute({ images: input }, CUT.node) as tf.Tensor, [1, 2]).data()
      const actual = await embeddings(backbone)
      expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4)
      // Stored quantized, really: the float32 file's embeddings differ.
      expect(maxAbsDiff(actual, await embeddings(graph))).toBeGreaterThan(1e-3)
      model.dispose()
    },
  )

  it.each<TensorEncoding>(['none', 'float16', 'uint8'])(
    'exports with a trained head, temperature and mirror views (%s) as the layers backbone does, and loadClassifier serves it',
    async (encoding) => {
      const head = buildHead(CUT.featureDim, { hidden: 8, dropout: 0.4, l2: 1e-3, classes: 2, seed: 7 })
      const options = {
        inputName: 'pixels',
        outputName: 'probabilities',
        normalization: graph.spec.normalization,
        temperature: 1.7,
        mirrorViews: true,
      }
      const served = async (backbone: AnyBackbone) => {
        const { nodes, tensors } = transferGraph(backbone, head, options)
        const classifier = await loadClassifier({
          ...serializeGraph(nodes, tensors, encoding),
          card: { ...validCard(), quantization: encoding },
        })
        return (await classifier.probabilitiesOfInputs(pixels, PHOTOS)).flatMap((p) => [...p])
      }
      const expected = await served(layers)
      const actual = await served(graph)
      expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4)
      head.dispose()
    },
  )
})

describe('graph backbones refused, with typed errors', () => {
  it('names the nearest node names when the feature node does not exist (FEATURE_NODE_NOT_FOUND)', async () => {
    const spec = cutSpec({ featureLayer: 'block_13_expnd' })
    const error = await rejection(loadAnyBackbone({ backbone: await writeGraphBackbone(folder(), { spec }) }))
    expect(error).toBeInstanceOf(FeatureNodeNotFoundError)
    expect(error).toMatchObject({ code: 'FEATURE_NODE_NOT_FOUND' })
    expect((error as FeatureNodeNotFoundError).nearest[0]).toBe(CUT.node)
    expect(error.message).toMatch(/no node "block_13_expnd".*Nearest names: block_13_expand/)
  })

  it.each([
    [{ featureLayer: 'images/scale' }, /node "images\/scale" does not depend on the image input/],
    [
      { featureLayer: CUT.node, featureDim: 96 },
      /outputs \[2,14,14,192\] for a batch of 2 images, not a feature map of 96 channels/,
    ],
    [{ featureLayer: CUT.node, inputSize: 160 }, /takes 224×224 inputs, not 160×160 \(inputSize\)/],
  ])(
    'refuses a spec that does not fit its graph (%#) as INVALID_BACKBONE_SPEC',
    async (overrides, message) => {
      const spec = cutSpec(overrides)
      const error = await rejection(
        loadAnyBackbone({ backbone: await writeGraphBackbone(folder(), { spec }) }),
      )
      expect(error).toBeInstanceOf(InvalidBackboneSpecError)
      expect(error.message).toMatch(message)
    },
  )

  /** A graph whose feature node is fed through a node of `op`, inserted after the real feature node. */
  const through = (op: string) => ({
    spec: cutSpec({ featureLayer: 'gate' }),
    edit: (json: { modelTopology: { node: { name: string; op: string; input?: string[] }[] } }) => {
      json.modelTopology.node.push({ name: 'gate', op, input: [CUT.node] })
    },
  })
  it.each([
    ['Switch', /"gate" \(Switch\) needs control flow/],
    ['StatelessWhile', /"gate" \(StatelessWhile\) needs control flow/],
    ['Where', /"gate" \(Where\) needs a dynamic output shape/],
    ['NoSuchOpAnywhere', /tfjs cannot execute it .*NoSuchOpAnywhere/],
  ])('refuses a graph that reaches its feature node through %s (UNSUPPORTED_GRAPH)', async (op, message) => {
    const error = await rejection(
      loadAnyBackbone({ backbone: await writeGraphBackbone(folder(), through(op)) }),
    )
    expect(error).toBeInstanceOf(UnsupportedGraphError)
    expect(error).toMatchObject({ code: 'UNSUPPORTED_GRAPH' })
    expect(error.message).toMatch(message)
  })

  it('refuses a graph that fixes its batch size (UNSUPPORTED_GRAPH): photos are embedded in batches', async () => {
    // The first image of the batch, alone: what a graph with a hard-coded batch of 1 computes.
    const edit = (json: { modelTopology: { node: object[] } }) => {
      const int = (i: number) => ({ i: String(i) })
      json.modelTopology.node.push(
        {
          name: 'rows',
          op: 'Unpack',
          input: [CUT.node],
          attr: { num: int(2), axis: int(0), T: { type: 'DT_FLOAT' } },
        },
        {
          name: 'first',
          op: 'Pack',
          input: ['rows'],
          attr: { N: int(1), axis: int(0), T: { type: 'DT_FLOAT' } },
        },
      )
    }
    const spec = cutSpec({ featureLayer: 'first' })
    const error = await rejection(
      loadAnyBackbone({ backbone: await writeGraphBackbone(folder(), { spec, edit }) }),
    )
    expect(error).toBeInstanceOf(UnsupportedGraphError)
    expect(error.message).toMatch(/outputs 1 rows for a batch of 2 images: the graph fixes its batch size/)
  })

  it('refuses to hand out layers it does not have (GRAPH_BACKBONE_NOT_TRAINABLE)', async () => {
    const error = await rejection(loadBackbone({ backbone: graph.from }))
    expect(error).toBeInstanceOf(GraphBackboneNotTrainableError)
    expect(error).toMatchObject({ code: 'GRAPH_BACKBONE_NOT_TRAINABLE' })
    expect(error.message).toMatch(/carries no trainable layers/)
  })
})
