import type { GraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { MODELS_DIR, samplePhotos } from '@whisker/fixtures'
import { type RgbImage, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBackbone } from '../architectures/load-backbone.ts'
import { assembleTransferModel, buildHead } from '../architectures/transfer.ts'
import { type GraphNode, VIEWS_MEAN } from '../artifacts.ts'
import type { Quantization } from '../card.ts'
import { findExplainNodes } from '../explain/nodes.ts'
import {
  cosine,
  loadStock,
  maxAbsDiff,
  runGraph,
  runLayers,
  seededRandom,
  uniform,
  useWasmBackend,
} from '../test-support/tf.ts'
import { exportGraphModel, UnsupportedLayerError } from './index.ts'
import type { SerializedGraph } from './serialize.ts'

beforeAll(useWasmBackend)

const NORMALIZATION = { scale: 1 / 127.5, offset: -1 }
const IO = { inputName: 'pixels', outputName: 'probabilities', normalization: NORMALIZATION }

type Sym = tfl.SymbolicTensor
const on = (layer: tfl.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym

/**
 * A small network holding every rewrite the exporter performs, with layer names the assertions use.
 * 16×16×3 → 16×16×8 → 8×8×8 → 10×10×8 → 5×5×8 → 3 classes.
 */
function buildSyntheticModel(pooling: 'flatten' | 'gap'): tfl.LayersModel {
  const input = tfl.input({ shape: [16, 16, 3], name: 'image' })
  // Conv2D without bias + BatchNormalization + ReLU(6) → one _FusedConv2D.
  let x = on(
    tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'stem' }),
    input,
  )
  x = on(tfl.layers.batchNormalization({ name: 'stem_bn' }), x)
  x = on(tfl.layers.reLU({ maxValue: 6, name: 'stem_relu' }), x)
  // ZeroPadding2D before a 'valid' stride-2 depthwise conv → explicit padding on the conv.
  x = on(
    tfl.layers.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
      name: 'dw_pad',
    }),
    x,
  )
  x = on(
    tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'dw' }),
    x,
  )
  x = on(tfl.layers.batchNormalization({ name: 'dw_bn' }), x)
  x = on(tfl.layers.reLU({ maxValue: 6, name: 'dw_relu' }), x)
  // ZeroPadding2D whose consumer is not a convolution → a Pad node.
  x = on(tfl.layers.zeroPadding2d({ padding: 1, name: 'pool_pad' }), x)
  const pooled = on(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), x)
  // Conv2D with bias + LeakyReLU, added back to its input.
  let branch = on(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'branch' }), pooled)
  branch = on(tfl.layers.leakyReLU({ alpha: 0.2, name: 'branch_leaky' }), branch)
  x = on(tfl.layers.add({ name: 'residual' }), [pooled, branch])
  // BatchNormalization with no convolution before it, then an Activation layer.
  x = on(tfl.layers.batchNormalization({ name: 'post_bn' }), x)
  x = on(tfl.layers.activation({ activation: 'relu6', name: 'post_relu6' }), x)
  // A convolution with its own activation: the BatchNormalization after it comes after the ReLU.
  x = on(tfl.layers.conv2d({ filters: 8, kernelSize: 1, activation: 'relu', name: 'mix' }), x)
  x = on(tfl.layers.batchNormalization({ name: 'mix_bn' }), x)
  x =
    pooling === 'flatten'
      ? on(tfl.layers.flatten({ name: 'flatten' }), x)
      : on(tfl.layers.globalAveragePooling2d({ name: 'gap' }), x)
  x = on(tfl.layers.dense({ units: 16, activation: 'relu', name: 'fc' }), x)
  x = on(tfl.layers.dropout({ rate: 0.5, name: 'drop' }), x)
  x = on(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), x)
  const model = tfl.model({ inputs: input, outputs: x, name: `synthetic_${pooling}` })
  randomizeWeights(model, seededRandom(pooling === 'flatten' ? 1 : 2))
  return model
}

/**
 * Random weights everywhere, and BatchNorm statistics far from the identity (γ ≠ 1, β ≠ 0, μ ≠ 0,
 * σ² ≠ 1), so that folding them is really exercised: an identity BatchNorm would hide a wrong fold.
 */
function randomizeWeights(model: tfl.LayersModel, random: () => number, spread = 0.5): void {
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const name = w.originalName.split('/').at(-1)!
      const [lo, hi] = name.startsWith('moving_variance')
        ? [0.2, 2]
        : name.startsWith('gamma')
          ? [0.5, 1.5]
          : name.startsWith('moving_mean')
            ? [-1, 1]
            : [-spread, spread]
      const shape = w.shape as number[] // a built layer's weights have no unknown dimension
      return tf.tensor(
        uniform(
          random,
          shape.reduce((a, b) => a * b, 1),
          lo,
          hi,
        ),
        shape,
      )
    })
    if (values.length > 0) layer.setWeights(values)
    tf.dispose(values)
  }
}

/** What the Layers model computes for raw pixels: its own input is the already-scaled image. */
function scaled(pixels: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(pixels, NORMALIZATION.scale), NORMALIZATION.offset)
}

/** The Layers model cut at one layer, to compare intermediate results. */
function upTo(model: tfl.LayersModel, layerName: string): tfl.LayersModel {
  return tfl.model({ inputs: model.inputs, outputs: model.getLayer(layerName).output as Sym })
}

const decode = (s: string) => atob(s)
const byName = (nodes: GraphNode[], name: string) => {
  const node = nodes.find((n) => n.name === name)
  if (!node) throw new Error(`no node named ${name}`)
  return node
}
type Attr = { s?: string; f?: number; list?: { s?: string[]; i?: string[] } }
const attrOf = (node: GraphNode, key: string) => (node.attr?.[key] ?? {}) as Attr
const fusedOps = (node: GraphNode) => (attrOf(node, 'fused_ops').list?.s ?? []).map(decode)
const ints = (node: GraphNode, key: string) => (attrOf(node, key).list?.i ?? []).map(Number)
const str = (node: GraphNode, key: string) => decode(attrOf(node, key).s ?? '')

describe('exportGraphModel on a network holding every rewrite', () => {
  let model: tfl.LayersModel
  let graph: SerializedGraph
  let nodes: GraphNode[]
  let loaded: GraphModel
  let pixels: tf.Tensor4D

  beforeAll(async () => {
    model = buildSyntheticModel('flatten')
    graph = exportGraphModel(model, { ...IO, quantization: 'none' })
    nodes = graph.modelJson.modelTopology.node
    loaded = await loadStock(graph)
    pixels = tf.tensor4d(uniform(seededRandom(7), 3 * 16 * 16 * 3, 0, 255), [3, 16, 16, 3])
  })
  afterAll(() => {
    loaded.dispose()
    model.dispose()
    pixels.dispose()
  })

  it('loads with stock tfjs and matches the Layers model on raw pixels within 1e-4', async () => {
    const expected = await runLayers(model, scaled(pixels))
    const actual = await runGraph(loaded, { pixels }, 'probabilities')
    expect(actual).toHaveLength(3 * 3)
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4)
  })

  // Each fused node must carry what its last absorbed layer outputs, not only the final answer.
  it.each([
    ['stem', 'stem_relu'],
    ['dw', 'dw_relu'],
    ['pool_pad', 'pool_pad'],
    ['pool', 'pool'],
    ['branch', 'branch_leaky'],
    ['residual', 'residual'],
    ['post_bn', 'post_bn'],
    ['post_relu6', 'post_relu6'],
    ['mix_bn', 'mix_bn'],
    ['fc', 'fc'],
  ])('node %s equals the Layers output of %s within 1e-4', async (node, layer) => {
    const expected = await runLayers(upTo(model, layer), scaled(pixels))
    const actual = await runGraph(loaded, { pixels }, node)
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-4)
  })

  it('mirror views through a Flatten of a wide map: the softmax of the mean of the two views’ logits', async () => {
    const serialized = exportGraphModel(model, { ...IO, quantization: 'none', mirrorViews: true })
    const mirrored = await loadStock(serialized)
    const flipped = tf.reverse(pixels, 2)
    const asked = await runGraph(mirrored, { pixels }, 'probabilities')
    const askedFlipped = await runGraph(mirrored, { pixels: flipped }, 'probabilities')
    // Per row, log p = logits − a constant, which the softmax drops: the mean of the log-probabilities will do.
    const expected = tf.tidy(() =>
      tf
        .softmax(
          tf.div(
            tf.add(
              tf.log(model.predict(scaled(pixels)) as tf.Tensor),
              tf.log(model.predict(scaled(flipped)) as tf.Tensor),
            ),
            2,
          ),
        )
        .dataSync(),
    )
    mirrored.dispose()
    flipped.dispose()
    expect(asked).toHaveLength(3 * 3)
    expect(maxAbsDiff(asked, expected as Float32Array)).toBeLessThan(1e-5)
    expect(maxAbsDiff(asked, askedFlipped)).toBeLessThan(1e-5)
    // Flatten kept both views apart; the explanation scores the averaged logits and maps both views.
    const graphNodes = serialized.modelJson.modelTopology.node
    expect(graphNodes.some((n) => n.name === `flatten${VIEWS_MEAN}`)).toBe(false)
    expect(findExplainNodes(graphNodes, 'probabilities')).toEqual({
      method: 'grad-cam',
      featureNode: 'mix_bn',
      scoreNode: `probs${VIEWS_MEAN}`,
    })
  })

  it('scales pixels inside the graph: x · scale + offset after the placeholder', () => {
    const placeholder = byName(nodes, 'pixels')
    expect(placeholder.op).toBe('Placeholder')
    expect(placeholder.attr?.shape).toEqual({
      shape: { dim: [-1, 16, 16, 3].map((d) => ({ size: String(d) })) },
    })
    expect(byName(nodes, 'pixels/scaled')).toMatchObject({ op: 'Mul', input: ['pixels', 'pixels/scale'] })
    expect(byName(nodes, 'pixels/normalized')).toMatchObject({
      op: 'AddV2',
      input: ['pixels/scaled', 'pixels/offset'],
    })
    expect(byName(nodes, 'stem').input?.[0]).toBe('pixels/normalized')
  })

  it('folds BatchNorm into the preceding convolution: no BatchNorm op and no node for the folded layers', () => {
    expect(nodes.filter((n) => /batchnorm/i.test(n.op))).toEqual([])
    const names = new Set(nodes.map((n) => n.name))
    for (const folded of ['stem_bn', 'stem_relu', 'dw_pad', 'dw_bn', 'dw_relu', 'branch_leaky']) {
      expect(names.has(folded), folded).toBe(false)
    }
  })

  it('fuses bias and activation into _FusedConv2D and FusedDepthwiseConv2dNative', () => {
    const stem = byName(nodes, 'stem')
    expect(stem.op).toBe('_FusedConv2D')
    expect(fusedOps(stem)).toEqual(['BiasAdd', 'Relu6'])
    expect(str(stem, 'padding')).toBe('SAME')

    const dw = byName(nodes, 'dw')
    expect(dw.op).toBe('FusedDepthwiseConv2dNative')
    expect(fusedOps(dw)).toEqual(['BiasAdd', 'Relu6'])
    expect(ints(dw, 'strides')).toEqual([1, 2, 2, 1])

    const branch = byName(nodes, 'branch')
    expect(branch.op).toBe('_FusedConv2D')
    expect(fusedOps(branch)).toEqual(['BiasAdd', 'LeakyRelu'])
    expect(attrOf(branch, 'leakyrelu_alpha').f).toBeCloseTo(0.2, 6)
  })

  it('folds a ZeroPadding2D into the next valid convolution as EXPLICIT padding', () => {
    const dw = byName(nodes, 'dw')
    expect(str(dw, 'padding')).toBe('EXPLICIT')
    expect(ints(dw, 'explicit_paddings')).toEqual([0, 0, 0, 1, 0, 1, 0, 0])
    expect(dw.input?.[0]).toBe('stem')
  })

  it('keeps a ZeroPadding2D whose consumer is not a valid convolution as a Pad node', () => {
    const pad = byName(nodes, 'pool_pad')
    expect(pad.op).toBe('Pad')
    expect(pad.input).toEqual(['dw', 'pool_pad/paddings'])
    expect(byName(nodes, 'pool').op).toBe('MaxPool')
  })

  it('does not fold a BatchNorm that follows a convolution’s own activation', () => {
    expect(fusedOps(byName(nodes, 'mix'))).toEqual(['BiasAdd', 'Relu'])
    expect(byName(nodes, 'mix_bn')).toMatchObject({ op: 'AddV2', input: ['mix_bn/mul', 'mix_bn/shift'] })
  })

  it('maps the remaining layers to plain ops', () => {
    expect(byName(nodes, 'residual')).toMatchObject({ op: 'AddV2', input: ['pool', 'branch'] })
    expect(byName(nodes, 'post_bn')).toMatchObject({ op: 'AddV2', input: ['post_bn/mul', 'post_bn/shift'] })
    expect(byName(nodes, 'post_bn/mul')).toMatchObject({ op: 'Mul', input: ['residual', 'post_bn/scale'] })
    expect(byName(nodes, 'post_relu6').op).toBe('Relu6')
    expect(byName(nodes, 'flatten').op).toBe('Reshape')
  })

  it('fuses Dense bias + relu into _FusedMatMul, keeps softmax separate, drops Dropout', () => {
    const fc = byName(nodes, 'fc')
    expect(fc.op).toBe('_FusedMatMul')
    expect(fusedOps(fc)).toEqual(['BiasAdd', 'Relu'])
    expect(nodes.some((n) => n.name === 'drop' || /dropout/i.test(n.op))).toBe(false)
    expect(byName(nodes, 'probs/logits')).toMatchObject({
      op: '_FusedMatMul',
      input: ['fc', 'probs/kernel', 'probs/bias'],
    })
    expect(fusedOps(byName(nodes, 'probs/logits'))).toEqual(['BiasAdd'])
    expect(byName(nodes, 'probs')).toMatchObject({ op: 'Softmax', input: ['probs/logits'] })
    expect(nodes.at(-1)).toMatchObject({ name: 'probabilities', op: 'Identity', input: ['probs'] })
  })

  it('writes one weights entry per Const node, in the same order, covering the weights file exactly', () => {
    const consts = nodes.filter((n) => n.op === 'Const').map((n) => n.name)
    const specs = graph.modelJson.weightsManifest[0].weights
    expect(specs.map((w) => w.name)).toEqual(consts)
    const bytes = specs.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0)
    expect(graph.weights.byteLength).toBe(bytes)
  })
})

describe('exportGraphModel with global average pooling', () => {
  it('maps GlobalAveragePooling2D to Mean over height and width and matches the Layers model', async () => {
    const model = buildSyntheticModel('gap')
    const graph = exportGraphModel(model, { ...IO, quantization: 'none' })
    const gap = byName(graph.modelJson.modelTopology.node, 'gap')
    expect(gap).toMatchObject({
      op: 'Mean',
      input: ['mix_bn', 'gap/axes'],
      attr: { keep_dims: { b: false } },
    })
    const loaded = await loadStock(graph)
    const pixels = tf.tensor4d(uniform(seededRandom(8), 2 * 16 * 16 * 3, 0, 255), [2, 16, 16, 3])
    const expected = await runLayers(model, scaled(pixels))
    expect(
      maxAbsDiff(
        await runGraph(loaded, { pixels }, 'gap'),
        await runLayers(upTo(model, 'gap'), scaled(pixels)),
      ),
    ).toBeLessThan(1e-4)
    expect(maxAbsDiff(await runGraph(loaded, { pixels }, 'probabilities'), expected)).toBeLessThan(1e-4)
    loaded.dispose()
    model.dispose()
  })
})

describe('exportGraphModel activations', () => {
  it.each(['relu', 'relu6', 'sigmoid', 'elu'] as const)(
    'fuses %s given as a layer option into _FusedConv2D and _FusedMatMul, matching the Layers model',
    async (activation) => {
      const input = tfl.input({ shape: [6, 6, 3] })
      let x = on(tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation, name: 'conv' }), input)
      x = on(tfl.layers.flatten({ name: 'flat' }), x)
      x = on(tfl.layers.dense({ units: 5, activation, name: 'dense' }), x)
      const model = tfl.model({ inputs: input, outputs: x })
      randomizeWeights(model, seededRandom(10))
      const graph = exportGraphModel(model, { ...IO, quantization: 'none' })
      const nodes = graph.modelJson.modelTopology.node
      const op = { relu: 'Relu', relu6: 'Relu6', sigmoid: 'Sigmoid', elu: 'Elu' }[activation]
      expect(fusedOps(byName(nodes, 'conv'))).toEqual(['BiasAdd', op])
      expect(fusedOps(byName(nodes, 'dense'))).toEqual(['BiasAdd', op])
      const loaded = await loadStock(graph)
      const pixels = tf.tensor4d(uniform(seededRandom(12), 2 * 6 * 6 * 3, 0, 255), [2, 6, 6, 3])
      const expected = await runLayers(model, scaled(pixels))
      expect(maxAbsDiff(await runGraph(loaded, { pixels }, 'probabilities'), expected)).toBeLessThan(1e-5)
      loaded.dispose()
    },
  )
})

describe('exportGraphModel edge cases', () => {
  it('keeps an Activation(softmax) after a convolution as its own Softmax node', async () => {
    const input = tfl.input({ shape: [4, 4, 3] })
    let x = on(tfl.layers.conv2d({ filters: 5, kernelSize: 1, name: 'logits' }), input)
    x = on(tfl.layers.activation({ activation: 'softmax', name: 'per_pixel' }), x)
    const model = tfl.model({ inputs: input, outputs: x })
    randomizeWeights(model, seededRandom(4))
    const graph = exportGraphModel(model, { ...IO, quantization: 'none' })
    const nodes = graph.modelJson.modelTopology.node
    expect(fusedOps(byName(nodes, 'logits'))).toEqual(['BiasAdd'])
    expect(byName(nodes, 'per_pixel')).toMatchObject({ op: 'Softmax', input: ['logits'] })
    const loaded = await loadStock(graph)
    const pixels = tf.tensor4d(uniform(seededRandom(9), 4 * 4 * 3, 0, 255), [1, 4, 4, 3])
    expect(
      maxAbsDiff(await runGraph(loaded, { pixels }, 'probabilities'), await runLayers(model, scaled(pixels))),
    ).toBeLessThan(1e-5)
    loaded.dispose()
  })

  it('names the layer it cannot express (UNSUPPORTED_LAYER)', () => {
    const input = tfl.input({ shape: [8, 8, 3] })
    const output = on(tfl.layers.averagePooling2d({ poolSize: 2, name: 'avg' }), input)
    const model = tfl.model({ inputs: input, outputs: output })
    expect(() => exportGraphModel(model, { ...IO, quantization: 'none' })).toThrow(UnsupportedLayerError)
    expect(() => exportGraphModel(model, { ...IO, quantization: 'none' })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_LAYER', message: expect.stringMatching(/"avg"/) }),
    )
  })
})

describe('exporting the real MobileNetV2 α0.35 transfer model', () => {
  const photos = samplePhotos(4)
  const SIZE = 224
  let model: tfl.LayersModel
  let pixels: tf.Tensor4D
  let layers: { embedding: Float32Array; probabilities: Float32Array }
  const exported = new Map<
    Quantization,
    { graph: SerializedGraph; embedding: Float32Array; probabilities: Float32Array }
  >()

  beforeAll(async () => {
    const backbone = await loadBackbone({ backbone: 'mobilenet_v2_0.35', modelsDir: MODELS_DIR })
    const head = buildHead(backbone.spec.featureDim, { hidden: 16, dropout: 0.4, l2: 1e-3, classes: 2 })
    // Small head weights keep the probabilities away from 0 and 1, where any two models would agree.
    randomizeWeights(head, seededRandom(3), 0.1)
    model = assembleTransferModel(backbone, head)

    const images: RgbImage[] = await Promise.all(photos.map((p) => decodeImage(p.bytes)))
    const data = new Float32Array(images.length * SIZE * SIZE * 3)
    images.forEach((image, i) => {
      data.set(
        toModelInput(image, { mode: 'center-crop', size: SIZE, filter: 'bilinear' }),
        i * SIZE * SIZE * 3,
      )
    })
    pixels = tf.tensor4d(data, [images.length, SIZE, SIZE, 3])
    const input = scaled(pixels)
    layers = {
      embedding: await runLayers(upTo(model, 'embedding'), input),
      probabilities: await runLayers(model, input),
    }
    for (const quantization of ['none', 'float16', 'uint8'] as const) {
      const graph = exportGraphModel(model, {
        ...IO,
        normalization: backbone.spec.normalization,
        quantization,
      })
      const loaded = await loadStock(graph)
      exported.set(quantization, {
        graph,
        embedding: await runGraph(loaded, { pixels }, 'embedding'),
        probabilities: await runGraph(loaded, { pixels }, 'probabilities'),
      })
      loaded.dispose()
    }
    for (const [quantization, out] of exported) {
      console.info(
        `MobileNetV2 α0.35 export, ${quantization} vs Layers on ${photos.length} photos: ` +
          `embedding max |Δ| ${maxAbsDiff(out.embedding, layers.embedding).toExponential(2)} ` +
          `(cosine ${cosine(out.embedding, layers.embedding).toFixed(4)}), ` +
          `probabilities max |Δ| ${maxAbsDiff(out.probabilities, layers.probabilities).toExponential(2)}, ` +
          `weights ${out.graph.weights.byteLength} bytes`,
      )
    }
  })
  afterAll(() => {
    model?.dispose()
    pixels?.dispose()
  })

  it('has no Pad and no BatchNorm node left: every ZeroPadding2D became explicit conv padding', () => {
    const nodes = exported.get('none')!.graph.modelJson.modelTopology.node
    const zeroPads = model.layers.filter((l) => l.getClassName() === 'ZeroPadding2D').length
    const batchNorms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length
    expect(zeroPads).toBeGreaterThan(0)
    expect(batchNorms).toBeGreaterThan(0)
    expect(nodes.filter((n) => n.op === 'Pad' || /batchnorm/i.test(n.op))).toEqual([])
    expect(nodes.filter((n) => str(n, 'padding') === 'EXPLICIT')).toHaveLength(zeroPads)
  })

  it('float32: the embedding and the probabilities match the Layers model within 1e-4', () => {
    const out = exported.get('none')!
    expect(layers.probabilities.every((p) => p > 0.02 && p < 0.98)).toBe(true)
    expect(out.embedding).toHaveLength(photos.length * 1280)
    expect(maxAbsDiff(out.embedding, layers.embedding)).toBeLessThan(1e-4)
    expect(maxAbsDiff(out.probabilities, layers.probabilities)).toBeLessThan(1e-4)
  })

  it('float16: half the weight bytes, probabilities within 1e-2 of float32', () => {
    const f32 = exported.get('none')!
    const f16 = exported.get('float16')!
    expect(f16.graph.weights.byteLength).toBeLessThan(0.55 * f32.graph.weights.byteLength)
    expect(maxAbsDiff(f16.probabilities, f32.probabilities)).toBeLessThan(1e-2)
  })

  it('mirror views: each photo and its mirror in one batch, answers that a mirrored photo cannot change', async () => {
    const graph = await loadStock(exportGraphModel(model, { ...IO, quantization: 'none', mirrorViews: true }))
    const mirrored = tf.reverse(pixels, 2)
    const views = await runGraph(graph, { pixels }, 'embedding')
    const asked = await runGraph(graph, { pixels }, 'probabilities')
    const askedMirrored = await runGraph(graph, { pixels: mirrored }, 'probabilities')
    const plain = await loadStock(exportGraphModel(model, { ...IO, quantization: 'none' }))
    const mirrorEmbedding = await runGraph(plain, { pixels: mirrored }, 'embedding')
    graph.dispose()
    plain.dispose()
    mirrored.dispose()
    const half = views.length / 2
    expect(maxAbsDiff(views.subarray(0, half), exported.get('none')!.embedding)).toBeLessThan(1e-4)
    expect(maxAbsDiff(views.subarray(half), mirrorEmbedding)).toBeLessThan(1e-4)
    expect(asked).toHaveLength(photos.length * 2)
    expect(maxAbsDiff(asked, askedMirrored)).toBeLessThan(1e-5)
  })

  it('uint8: about a quarter of the weight bytes, and still a probability distribution per photo', () => {
    const f32 = exported.get('none')!
    const u8 = exported.get('uint8')!
    expect(u8.graph.weights.byteLength).toBeLessThan(0.3 * f32.graph.weights.byteLength)
    // Per-channel scales keep the folded depthwise kernels: per-tensor uint8 left a cosine of 0.31 here.
    expect(cosine(u8.embedding, f32.embedding)).toBeGreaterThan(0.95)
    const nodes = u8.graph.modelJson.modelTopology.node
    expect(nodes.filter((n) => n.name.endsWith('/channel_scale')).length).toBeGreaterThan(30)
    for (let i = 0; i < photos.length; i++) {
      const row = u8.probabilities.subarray(i * 2, i * 2 + 2)
      expect(row.every(Number.isFinite)).toBe(true)
      expect(row[0]! + row[1]!).toBeCloseTo(1, 5)
    }
  })
})
