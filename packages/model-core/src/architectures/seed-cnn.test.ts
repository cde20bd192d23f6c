import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { convertLayersModel } from '../export/convert.ts'
import { serializeGraph } from '../export/serialize.ts'
import { loadStock, maxAbsDiff, runGraph, useWasmBackend } from '../test-support/tf.ts'
import { buildSeedCnn, SEED_CNN_INPUT } from './seed-cnn.ts'

beforeAll(useWasmBackend)

describe('the seed CNN', () => {
  it("is exactly the tutorial's network: its layer stack and 1,355,938 parameters for two classes", () => {
    const model = buildSeedCnn({ classes: 2, seed: 1 })
    expect(model.layers.map((l) => l.getClassName())).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Dropout',
      'Flatten',
      'Dense',
      'Dropout',
      'Dense',
    ])
    expect(model.countParams()).toBe(1_355_938)
    expect(model.outputs[0]!.shape).toEqual([null, 2])
  })

  it('takes another input size, the dense layer following the smaller feature map', () => {
    const model = buildSeedCnn({ classes: 3, seed: 1, size: 64 })
    expect(model.inputs[0]!.shape).toEqual([null, 64, 64, 3])
    // 64 → 32 → 16 → 8 after three poolings: 8·8·64 flattened features into Dense 64.
    expect(model.layers[8]!.getWeights()[0]!.shape).toEqual([8 * 8 * 64, 64])
    expect(model.outputs[0]!.shape).toEqual([null, 3])
  })

  it('exports to a graph that matches the Layers model, scaling 0–255 pixels inside', async () => {
    const model = buildSeedCnn({ classes: 3, seed: 2 })
    const { nodes, tensors } = convertLayersModel(model, {
      inputName: 'pixels',
      outputName: 'probabilities',
      normalization: SEED_CNN_INPUT.normalization,
    })
    expect(nodes.map((n) => n.op)).not.toContain('Dropout')
    const graph = await loadStock(serializeGraph(nodes, tensors, 'none'))
    const pixels = tf.randomUniform([2, 150, 150, 3], 0, 255, 'float32', 5)
    const expected = (model.predict(tf.div(pixels, 255)) as tf.Tensor).dataSync()
    const actual = await runGraph(graph, { pixels }, 'probabilities')
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5)
  })
})
