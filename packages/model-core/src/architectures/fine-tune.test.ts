import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { MODELS_DIR } from '@whisker/fixtures'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportGraphModel } from '../export/index.ts'
import { registerWasmTrainingKernels } from '../kernels/index.ts'
import { photoPixels } from '../test-support/photos.ts'
import { loadStock, maxAbsDiff, runGraph, runLayers, useWasmBackend } from '../test-support/tf.ts'
import { createTrunkEmbedder, fineTuneDepths, InvalidFineTuneDepthError, splitBackbone } from './fine-tune.ts'
import { type LoadedBackbone, loadBackbone } from './load-backbone.ts'
import { assembleTransferModel, buildHead } from './transfer.ts'

beforeAll(async () => {
  // The trainer's CPU path: wasm, with the kernels that let it train convolutions.
  registerWasmTrainingKernels()
  await useWasmBackend()
})

const MOBILENET = 'mobilenet_v2_0.35'
const SIZE = 224
const loadMobileNet = () => loadBackbone({ backbone: MOBILENET, modelsDir: MODELS_DIR })

/** Two real photos as raw model inputs (pixels in [0, 255]), 2 × 224 × 224 × 3. */
async function twoPhotos(): Promise<tf.Tensor4D> {
  return tf.tensor4d(await photoPixels(2, SIZE), [2, SIZE, SIZE, 3])
}

/** Pixels scaled as the backbone expects, the way the exported graph does it. */
function normalized(backbone: LoadedBackbone, pixels: tf.Tensor): tf.Tensor {
  const { scale, offset } = backbone.spec.normalization
  return tf.tidy(() => tf.add(tf.mul(pixels, scale), offset))
}

/** A layer's weights, read back now (a copy that later training does not change). */
function weightsOf(model: tfl.LayersModel, layer: string): Float32Array[] {
  return model
    .getLayer(layer)
    .getWeights()
    .map((w) => (w.dataSync() as Float32Array).slice())
}

/** input → conv a → conv b → add(a, b) → relu: the smallest graph with a skip connection. */
function residualModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [4, 4, 2], name: 'in' })
  const a = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'a' }).apply(input) as tfl.SymbolicTensor
  const b = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b' }).apply(a) as tfl.SymbolicTensor
  const sum = tfl.layers.add({ name: 'sum' }).apply([a, b]) as tfl.SymbolicTensor
  const out = tfl.layers.reLU({ name: 'out' }).apply(sum)
  return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor })
}

describe('fineTuneDepths', () => {
  it('counts layers from the end and skips cuts that a skip connection spans', () => {
    const model = residualModel()
    expect(model.layers.map((l) => l.name)).toEqual(['in', 'a', 'b', 'sum', 'out'])
    // 2 (from sum): a and b both cross. 3 (from b): a's output feeds both b and the add, but it is one tensor.
    expect(fineTuneDepths(model)).toEqual([1, 3, 4])
  })

  it('for MobileNetV2 allows each layer of block_16 and Conv_1, then whole blocks, never inside a residual block', async () => {
    const { model } = await loadMobileNet()
    const depths = fineTuneDepths(model)
    expect(depths.slice(0, 14)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20, 29, 30])
    expect(depths.at(-1)).toBe(model.layers.length - 1)
    expect(splitBackbone(model, 11).cut).toBe('block_16_expand')
    expect(splitBackbone(model, 20).cut).toBe('block_15_expand')
  })
})

describe('splitBackbone on MobileNetV2 α0.35', () => {
  let backbone: LoadedBackbone
  let pixels: tf.Tensor
  let x: tf.Tensor
  let expected: Float32Array
  beforeAll(async () => {
    backbone = await loadMobileNet()
    pixels = await twoPhotos()
    x = normalized(backbone, pixels)
    expected = await runLayers(backbone.model, x)
  })

  // 20 puts block_15, a residual block, inside the top; 154 unfreezes everything.
  for (const depth of [1, 3, 11, 20, 38, 154]) {
    it(`top(trunk(x)) is the backbone's output, unfreezing ${depth} layers`, async () => {
      const { trunk, top } = splitBackbone(backbone.model, depth)
      const features = trunk.predict(x) as tf.Tensor
      expect(maxAbsDiff(await runLayers(top, features), expected)).toBeLessThan(1e-4)
      features.dispose()
    })
  }

  it('reports the first unfrozen layer and the trainable parameters above the cut', () => {
    const split = splitBackbone(backbone.model, 3)
    expect(split.cut).toBe('Conv_1')
    expect(split.top.inputs[0]!.shape).toEqual([null, 7, 7, 112])
    // Conv_1's 1×1×112×1280 kernel (no bias) and Conv_1_bn's gamma and beta; the moving statistics do not count.
    expect(split.trainableParameters).toBe(112 * 1280 + 2 * 1280)
  })

  it('trains the top even where the backbone file freezes every layer (mobilenet_v2_1.0), and only the top', async () => {
    const frozen = await loadBackbone({ backbone: 'mobilenet_v2_1.0', modelsDir: MODELS_DIR })
    expect(frozen.model.trainableWeights).toHaveLength(0)
    const split = splitBackbone(frozen.model, 4)
    expect(split.cut).toBe('conv_48')
    // block_16 (expand 160→960, depthwise 3×3, project 960→320) and conv_51 (320→1280), each with a bias.
    const expected = 160 * 960 + 960 + 9 * 960 + 960 + 960 * 320 + 320 + 320 * 1280 + 1280
    expect(split.trainableParameters).toBe(expected)
    expect(split.trunk.trainableWeights).toHaveLength(0)
  })

  it('createTrunkEmbedder runs the trunk on raw pixels as the exported graph: one h × w × c row per photo', async () => {
    const split = splitBackbone(backbone.model, 11)
    const embedder = await createTrunkEmbedder(backbone, split)
    expect(embedder.dim).toBe(7 * 7 * 56)
    const rows = await embedder.embed(pixels.dataSync() as Float32Array, 2)
    const reference = await runLayers(split.trunk, x)
    // BatchNorm is folded into the convolutions in the graph: equal up to float32 rounding.
    expect(maxAbsDiff(rows, reference) / Math.max(...reference)).toBeLessThan(1e-4)
    embedder.dispose()
  })

  it('refuses a cut inside a residual block, naming the nearest valid depths and where they cut', () => {
    const error = catchError(() => splitBackbone(backbone.model, 12))
    expect(error).toBeInstanceOf(InvalidFineTuneDepthError)
    expect(error).toMatchObject({ code: 'INVALID_FINE_TUNE_DEPTH', depth: 12, nearest: [11, 20] })
    expect(error.message).toContain('block_15_add')
    expect(error.message).toContain('11 (from block_16_expand) or 20 (from block_15_expand)')
  })

  it('refuses depth 0 and depths beyond the last layer', () => {
    const layers = backbone.model.layers.length
    expect(catchError(() => splitBackbone(backbone.model, 0))).toMatchObject({
      code: 'INVALID_FINE_TUNE_DEPTH',
      nearest: [1],
    })
    for (const depth of [layers, layers + 5]) {
      const error = catchError(() => splitBackbone(backbone.model, depth))
      expect(error).toMatchObject({ code: 'INVALID_FINE_TUNE_DEPTH', nearest: [layers - 1] })
      expect(error.message).toContain(`from 1 to ${layers - 1}`)
    }
  })
})

describe('training the top trains the backbone itself (shared weights)', () => {
  let backbone: LoadedBackbone
  let head: tfl.Sequential
  let pixels: tf.Tensor
  let before: { top: Float32Array[]; trunk: Float32Array[]; exported: Float32Array }
  let fineTuned: Float32Array

  /** The served model: backbone → pooling → head, assembled and exported now. */
  const exportedProbabilities = async () => {
    const graph = exportGraphModel(assembleTransferModel(backbone, head), {
      inputName: 'pixels',
      outputName: 'probabilities',
      normalization: backbone.spec.normalization,
      quantization: 'none',
    })
    return runGraph(await loadStock(graph), { pixels }, 'probabilities')
  }

  beforeAll(async () => {
    backbone = await loadMobileNet()
    head = buildHead(backbone.spec.featureDim, { hidden: 0, dropout: 0, l2: 0, classes: 2, seed: 1 })
    pixels = await twoPhotos()
    before = {
      top: weightsOf(backbone.model, 'block_16_project'),
      trunk: weightsOf(backbone.model, 'block_15_project'),
      exported: await exportedProbabilities(),
    }
    const { trunk, top } = splitBackbone(backbone.model, 11)
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(top.outputs[0]!) as tfl.SymbolicTensor
    const model = tfl.model({ inputs: top.inputs, outputs: head.apply(pooled) as tfl.SymbolicTensor })
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' })
    const features = trunk.predict(normalized(backbone, pixels)) as tf.Tensor
    await model.trainOnBatch(features, tf.tensor2d([1, 0, 0, 1], [2, 2]))
    fineTuned = await runLayers(model, features)
  })

  it('changes the backbone’s own layers above the cut and leaves the trunk’s untouched', () => {
    expect(maxAbsDiff(weightsOf(backbone.model, 'block_16_project')[0]!, before.top[0]!)).toBeGreaterThan(0)
    expect(weightsOf(backbone.model, 'block_15_project')).toEqual(before.trunk)
  })

  it('so assembleTransferModel(backbone, head) afterwards exports the fine-tuned network', async () => {
    const exported = await exportedProbabilities()
    expect(maxAbsDiff(exported, before.exported)).toBeGreaterThan(1e-3)
    // The exporter folds BatchNorm into the convolutions: equal up to float32 rounding.
    expect(maxAbsDiff(exported, fineTuned)).toBeLessThan(1e-4)
  })
})

function catchError(run: () => unknown): Error {
  try {
    run()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error, got none')
}
