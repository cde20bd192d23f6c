import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportGraphModel } from '../export/index.ts'
import { fakeBackbone } from '../test-support/fake-backbone.ts'
import { maxAbsDiff, runLayers, seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import type { LoadedBackbone } from './load-backbone.ts'
import { assembleTransferModel, buildHead, DEFAULT_HEAD, embeddingModel } from './transfer.ts'

beforeAll(useWasmBackend)

const config = (layer: tfl.layers.Layer) => layer.getConfig() as Record<string, unknown>

describe('buildHead', () => {
  it('is Dense(hidden, relu) → Dropout → Dense(classes, softmax), both Dense L2-regularised', () => {
    const head = buildHead(1280, { ...DEFAULT_HEAD, classes: 3 })
    expect(head.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dropout', 'Dense'])
    expect(head.layers.map((l) => l.name)).toEqual(['head_hidden', 'head_dropout', 'head_output'])
    expect(config(head.layers[0]!)).toMatchObject({ units: DEFAULT_HEAD.hidden, activation: 'relu' })
    expect(config(head.layers[1]!)).toMatchObject({ rate: DEFAULT_HEAD.dropout })
    expect(config(head.layers[2]!)).toMatchObject({ units: 3, activation: 'softmax' })
    for (const dense of [head.layers[0]!, head.layers[2]!]) {
      expect(config(dense).kernelRegularizer).toMatchObject({ config: { l2: DEFAULT_HEAD.l2 } })
    }
    expect(head.inputs[0]!.shape).toEqual([null, 1280])
  })

  it('with hidden 0 is a plain logistic regression: one Dense(classes, softmax)', () => {
    const head = buildHead(16, { hidden: 0, dropout: 0.4, l2: 0, classes: 2 })
    expect(head.layers.map((l) => l.getClassName())).toEqual(['Dense'])
    expect(head.inputs[0]!.shape).toEqual([null, 16])
    expect(head.outputs[0]!.shape).toEqual([null, 2])
  })
})

describe('embeddingModel and assembleTransferModel', () => {
  let backbone: LoadedBackbone
  let head: tfl.Sequential
  beforeAll(() => {
    backbone = fakeBackbone()
    head = buildHead(4, { hidden: 5, dropout: 0.5, l2: 1e-3, classes: 2 })
  })
  const x = () => tf.tensor4d(uniform(seededRandom(41), 2 * 8 * 8 * 3, -1, 1), [2, 8, 8, 3])

  it('pools the backbone into a featureDim embedding layer named "embedding"', () => {
    const model = embeddingModel(backbone)
    expect(model.layers.at(-1)!.name).toBe('embedding')
    expect(model.layers.at(-1)!.getClassName()).toBe('GlobalAveragePooling2D')
    expect(model.outputs[0]!.shape).toEqual([null, backbone.spec.featureDim])
  })

  it('computes head(embedding(x)) in one flat model', async () => {
    const assembled = assembleTransferModel(backbone, head)
    const embedding = tf.tensor2d(await runLayers(embeddingModel(backbone), x()), [2, 4])
    const expected = await runLayers(head, embedding)
    expect(maxAbsDiff(await runLayers(assembled, x()), expected)).toBeLessThan(1e-6)
    expect(assembled.layers.some((l) => l.getClassName() === 'Sequential')).toBe(false)
  })

  it('gives every layer exactly one inbound node, so the exporter can follow it', () => {
    const assembled = assembleTransferModel(backbone, head)
    for (const layer of assembled.layers) expect(layer.inboundNodes, layer.name).toHaveLength(1)
    expect(() =>
      exportGraphModel(assembled, {
        inputName: 'pixels',
        outputName: 'probabilities',
        normalization: backbone.spec.normalization,
        quantization: 'none',
      }),
    ).not.toThrow()
  })

  it('copies the head’s weights: training the head further does not change an assembled model', async () => {
    const assembled = assembleTransferModel(backbone, head)
    const before = await runLayers(assembled, x())
    head.setWeights(head.getWeights().map((w) => tf.mul(w, 2)))
    expect(await runLayers(assembled, x())).toEqual(before)
  })
})
