import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-layers' // registers tfjs' gradients, as in the trainer
import { MODELS_DIR, samplePhotos } from '@whisker/fixtures'
import type { RgbImage } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBackbone } from '../architectures/load-backbone.ts'
import { assembleTransferModel, buildHead } from '../architectures/transfer.ts'
import { contentVersion, exportGraphModel } from '../export/index.ts'
import { type Classifier, loadClassifier } from '../predictor.ts'
import { validCard } from '../test-support/card.ts'
import { useWasmBackend } from '../test-support/tf.ts'
import { findExplainNodes } from './nodes.ts'

beforeAll(useWasmBackend)

describe('heatmaps from the exported MobileNetV2 α0.35 transfer model (float16, wasm)', () => {
  let classifier: Classifier
  let images: RgbImage[]

  beforeAll(async () => {
    const backbone = await loadBackbone({ backbone: 'mobilenet_v2_0.35', modelsDir: MODELS_DIR })
    const head = buildHead(backbone.spec.featureDim, { hidden: 16, dropout: 0, l2: 0, classes: 2, seed: 4 })
    const model = assembleTransferModel(backbone, head)
    const graph = exportGraphModel(model, {
      inputName: 'pixels',
      outputName: 'probabilities',
      normalization: backbone.spec.normalization,
      quantization: 'float16',
    })
    model.dispose()
    const found = findExplainNodes(graph.modelJson.modelTopology.node, 'probabilities')
    classifier = await loadClassifier({
      ...graph,
      card: { ...validCard(), version: await contentVersion(graph), explain: { ...found!, grid: [7, 7] } },
    })
    images = await Promise.all(samplePhotos(3).map((p) => decodeImage(p.bytes)))
  })
  afterAll(() => classifier?.dispose())

  it('reads the 7×7 Conv_1 feature map behind the pooled `embedding`, and the logits before the softmax', () => {
    expect(classifier.explainNodes).toEqual({
      method: 'grad-cam',
      featureNode: 'Conv_1',
      scoreNode: 'head_output/logits',
      grid: [7, 7],
    })
  })

  it('answers exactly as classify does, with a 7×7 map in [0, 1] that peaks at 1', async () => {
    for (const image of images) {
      const { classification, heatmap, timing } = await classifier.explain(image)
      expect(classification).toEqual(await classifier.classify(image))
      expect(heatmap.label).toBe(classification.label)
      expect([heatmap.height, heatmap.width, heatmap.values.length]).toEqual([7, 7, 49])
      expect(Math.min(...heatmap.values)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...heatmap.values)).toBeCloseTo(1, 6)
      expect(timing.heatmapMs).toBeGreaterThan(0)
      expect(timing.classifyMs).toBeGreaterThan(0)
    }
  })

  it('gives the same map on the cpu backend', async () => {
    const wasm = await classifier.explain(images[0]!)
    await tf.setBackend('cpu')
    try {
      const cpu = await classifier.explain(images[0]!)
      for (const [i, v] of wasm.heatmap.values.entries()) expect(cpu.heatmap.values[i]).toBeCloseTo(v, 3)
    } finally {
      await useWasmBackend()
    }
  })

  it('leaks no tensors', async () => {
    await classifier.explain(images[0]!)
    const before = tf.memory().numTensors
    for (const image of images) await classifier.explain(image)
    expect(tf.memory().numTensors).toBe(before)
  })
})
