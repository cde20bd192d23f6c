import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { registerWasmTrainingKernels } from '@whisker/model-core/kernels'
import {
  assembleTransferModel,
  type BackboneSplit,
  createTrunkEmbedder,
  type Embedder,
  type LoadedBackbone,
  loadBackbone,
  setDropoutStep,
  splitBackbone,
} from '@whisker/model-core/training'
import { toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { beforeAll, describe, expect, it } from 'vitest'
import type { LabelledFile } from '../data/dataset.ts'
import { embedFiles } from '../data/embed.ts'
import { noEmbeddingCache } from '../data/embedding-cache.ts'
import { DEFAULTS } from '../paths.ts'
import { neverStop, StopRequested, type StopSignal } from '../run/interrupt.ts'
import { type FineTuneOptions, type FineTuneResult, fineTuneTop, type TrunkFeatures } from './fine-tune.ts'
import { fitHead } from './fit-head.ts'

const POLICY = { mode: 'center-crop', size: 224, filter: 'bilinear' } as const
/** block_16 and Conv_1: MobileNetV2's top block, the usual fine-tuning choice. */
const TOP_BLOCK = 11

/** The first `perClass` cats and dogs of the shared folder (label = name prefix); every 4th is validation. */
function photos(perClass: number): { train: LabelledFile[]; val: LabelledFile[] } {
  const names = readdirSync(DEFAULTS.data)
  const files = ['cat', 'dog'].flatMap((label) =>
    names
      .filter((name) => name.startsWith(`${label}.`))
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
      .slice(0, perClass)
      .map((name) => ({ label, name, path: join(DEFAULTS.data, name) })),
  )
  return { train: files.filter((_, i) => i % 4 !== 3), val: files.filter((_, i) => i % 4 === 3) }
}

const labelOf = (file: LabelledFile) => (file.label === 'cat' ? 0 : 1)

/** Photos → trunk features, the way the trainer computes them: once, through embedFiles. */
async function trunkFeatures(embedder: Embedder, files: LabelledFile[]): Promise<TrunkFeatures> {
  const set = await embedFiles(files, embedder, {
    policy: POLICY,
    batchSize: 32,
    cache: noEmbeddingCache,
  })
  return { features: set.embeddings, y: Int32Array.from(set.files, labelOf) }
}

/** The pooled backbone embeddings the head is fitted on, from trunk features through the (frozen) top. */
function embeddings(split: BackboneSplit, data: TrunkFeatures): Float32Array {
  const shape = split.top.inputs[0]!.shape.slice(1) as number[]
  return tf.tidy(() => {
    const features = tf.tensor(data.features, [data.y.length, ...shape])
    return tf.mean(split.top.predict(features) as tf.Tensor, [1, 2]).dataSync() as Float32Array
  })
}

/** The served network, backbone → pooling → head, on raw pixels; its mean cross-entropy on `y`. */
function assembledLoss(
  backbone: LoadedBackbone,
  head: tfl.Sequential,
  pixels: tf.Tensor,
  y: Int32Array,
): number {
  const model = assembleTransferModel(backbone, head)
  const { scale, offset } = backbone.spec.normalization
  return tf.tidy(() => crossEntropy(model.predict(tf.add(tf.mul(pixels, scale), offset)) as tf.Tensor, y))
}

function crossEntropy(probabilities: tf.Tensor, y: Int32Array): number {
  const truth = tf.oneHot(tf.tensor1d(y, 'int32'), 2)
  return -tf.mean(tf.sum(tf.mul(truth, tf.log(probabilities)), 1)).dataSync()[0]!
}

/** The same loss from trunk features, through `top` and the head (their predict, not fineTuneTop's loop). */
function topHeadLoss(split: BackboneSplit, head: tfl.Sequential, data: TrunkFeatures): number {
  const shape = split.top.inputs[0]!.shape.slice(1) as number[]
  return tf.tidy(() => {
    const features = split.top.predict(tf.tensor(data.features, [data.y.length, ...shape])) as tf.Tensor
    const probabilities = head.predict(tf.mean(features, [1, 2])) as tf.Tensor
    return crossEntropy(probabilities, data.y)
  })
}

async function pixelsOf(files: LabelledFile[]): Promise<tf.Tensor> {
  const side = POLICY.size
  const data = new Float32Array(files.length * side * side * 3)
  for (const [i, file] of files.entries()) {
    const image = await decodeImage(new Uint8Array(await readFile(file.path)))
    data.set(toModelInput(image, POLICY), i * side * side * 3)
  }
  return tf.tensor4d(data, [files.length, side, side, 3])
}

/** A layer's current weights, copied out. */
const weightsOf = (layer: tfl.layers.Layer) =>
  layer.getWeights().map((w) => w.dataSync().slice() as Float32Array)

describe('fineTuneTop on MobileNetV2 α0.35 (40 cats, 40 dogs; wasm)', () => {
  let backbone: LoadedBackbone
  let split: BackboneSplit
  let head: tfl.Sequential
  let train: TrunkFeatures
  let val: TrunkFeatures
  let trunkWidth: number
  let valPixels: tf.Tensor
  let start: {
    top: tf.Tensor[]
    head: tf.Tensor[]
    lossBefore: number
    bnStats: Float32Array[]
    projectKernel: Float32Array
  }
  let result: FineTuneResult
  let leaked: number

  const options = (extra: Partial<FineTuneOptions> = {}): FineTuneOptions => ({
    split,
    head,
    train,
    val,
    epochs: 2,
    batchSize: 16,
    learningRate: 1e-4,
    seed: 3,
    stop: neverStop,
    ...extra,
  })
  /** Puts the top and the head back to their state before any fine-tuning, dropout masks included. */
  const reset = () => {
    split.top.setWeights(start.top)
    head.setWeights(start.head)
    setDropoutStep(head, 0)
  }

  beforeAll(async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    backbone = await loadBackbone({ backbone: 'mobilenet_v2_0.35', modelsDir: DEFAULTS.models })
    split = splitBackbone(backbone.model, TOP_BLOCK)
    const files = photos(40)
    const embedder = await createTrunkEmbedder(backbone, split)
    trunkWidth = embedder.dim
    train = await trunkFeatures(embedder, files.train)
    val = await trunkFeatures(embedder, files.val)
    embedder.dispose()
    valPixels = await pixelsOf(files.val)
    const fitted = await fitHead(
      { x: embeddings(split, train), y: train.y },
      { x: embeddings(split, val), y: val.y },
      backbone.spec.featureDim,
      {
        head: { hidden: 64, dropout: 0.4, l2: 1e-3, classes: 2 },
        epochs: 20,
        batchSize: 32,
        learningRate: 1e-3,
        patience: 10,
        plateau: 4,
        seed: 1,
        stop: neverStop,
      },
    )
    head = fitted.head
    start = {
      top: split.top.getWeights().map((w) => w.clone()),
      head: head.getWeights().map((w) => w.clone()),
      lossBefore: assembledLoss(backbone, head, valPixels, val.y),
      bnStats: weightsOf(backbone.model.getLayer('block_16_expand_BN')).slice(2),
      projectKernel: weightsOf(backbone.model.getLayer('block_16_project'))[0]!,
    }
    setDropoutStep(head, 0)
    const tensors = tf.memory().numTensors
    result = await fineTuneTop(options())
    leaked = tf.memory().numTensors - tensors
  })

  it('computes trunk features of 7 × 7 × 56 per photo for a cut before block_16_expand', () => {
    expect(split.cut).toBe('block_16_expand')
    expect(trunkWidth).toBe(7 * 7 * 56)
    expect(train.features.length).toBe(60 * 7 * 7 * 56)
  })

  it('records one epoch per pass, at the given rate', () => {
    expect(result.history.map((h) => [h.epoch, h.lr])).toEqual([
      [1, 1e-4],
      [2, 1e-4],
    ])
  })

  it('starts from the fitted head: `before` is its validation loss', () => {
    expect(result.before.val_loss).toBeCloseTo(start.lossBefore, 4)
  })

  it('keeps or lowers the validation loss: the best epoch’s weights, or the fitted ones when no epoch beats them', () => {
    const losses = [result.before.val_loss, ...result.history.map((h) => h.val_loss)]
    const best = Math.min(...losses)
    expect(result.bestEpoch).toBe(losses.indexOf(best) - 1)
    expect(assembledLoss(backbone, head, valPixels, val.y)).toBeCloseTo(best, 4)
  })

  it('keeps BatchNorm in inference mode: the top’s moving statistics do not change', () => {
    expect(weightsOf(backbone.model.getLayer('block_16_expand_BN')).slice(2)).toEqual(start.bnStats)
  })

  it('leaves no tensors behind', () => {
    expect(leaked).toBe(0)
  })

  it('trains the backbone’s own layers, so the assembled model is the fine-tuned network', async () => {
    reset()
    // Scored on the photos it trains on, fine-tuning must lower the loss, so a fine-tuned epoch is kept.
    const onTrain = await fineTuneTop(options({ val: train }))
    expect(onTrain.bestEpoch).toBeGreaterThanOrEqual(0)
    expect(onTrain.history[onTrain.bestEpoch]!.val_loss).toBeLessThan(onTrain.before.val_loss)
    expect(weightsOf(backbone.model.getLayer('block_16_project'))[0]).not.toEqual(start.projectKernel)
    const after = assembledLoss(backbone, head, valPixels, val.y)
    expect(after).not.toBeCloseTo(start.lossBefore, 4)
    expect(after).toBeCloseTo(topHeadLoss(split, head, val), 4)
  })

  it('without val, trains exactly the given epochs and keeps the last weights (a refit of chosen length)', async () => {
    reset()
    const refit = await fineTuneTop(options({ val: undefined, epochs: 1 }))
    expect(refit.history).toHaveLength(1)
    expect(refit.bestEpoch).toBe(0)
    expect(refit.before.val_loss).toBeNaN()
    expect(weightsOf(backbone.model.getLayer('block_16_project'))[0]).not.toEqual(start.projectKernel)
  })

  it('is reproducible: the same seed, weights and dropout step give the same history', async () => {
    reset()
    const again = await fineTuneTop(options())
    expect(again.history.map((h) => h.val_loss)).toEqual(result.history.map((h) => h.val_loss))
  })

  it('stops between batches when asked, leaving the best weights so far (here: the fitted ones)', async () => {
    reset()
    let batches = 0
    const stopAfterOne: StopSignal = {
      get requested() {
        return batches > 1
      },
      checkpoint() {
        if (++batches > 1) throw new StopRequested()
      },
      dispose() {},
    }
    await expect(fineTuneTop(options({ stop: stopAfterOne }))).rejects.toBeInstanceOf(StopRequested)
    expect(assembledLoss(backbone, head, valPixels, val.y)).toBeCloseTo(start.lossBefore, 5)
  })

  it('refuses features that are not rows of the top’s input', async () => {
    const wrong = { features: new Float32Array(10), y: Int32Array.of(0, 1) }
    await expect(fineTuneTop(options({ train: wrong }))).rejects.toThrow('not 2 × 2744')
  })
})
