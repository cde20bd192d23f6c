import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadStock, runGraph, useWasmBackend } from '../test-support/tf.ts'
import { convertLayersModel } from './convert.ts'
import { serializeGraph } from './serialize.ts'

beforeAll(useWasmBackend)

/**
 * A convolution whose output channels differ in range by 1000×, as BatchNorm folding leaves depthwise
 * kernels: one uint8 step for the whole tensor erases the narrow channel.
 */
function unevenModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] })
  const conv = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6', name: 'dw' })
  const out = conv.apply(input) as tfl.SymbolicTensor
  const model = tfl.model({ inputs: input, outputs: out })
  const [kernel] = conv.getWeights()
  const scale = tf.tensor4d([1, 0.001, 0.3], [1, 1, 3, 1])
  conv.setWeights([
    tf.mul(tf.randomUniform(kernel!.shape, -1, 1, 'float32', 7), scale),
    tf.tensor1d([0.1, 0.0005, -0.05]),
  ])
  return model
}

describe('per-channel uint8 kernels', () => {
  it('keeps a channel 1000× narrower than the widest within 1 % of float32, where one tensor scale loses it', async () => {
    const model = unevenModel()
    const { nodes, tensors } = convertLayersModel(model, {
      inputName: 'x',
      outputName: 'y',
      normalization: { scale: 1, offset: 0 },
    })
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 3)
    const run = async (encoding: 'none' | 'uint8') => {
      const graph = await loadStock(serializeGraph(nodes, tensors, encoding))
      const out = await runGraph(graph, { x }, 'y')
      graph.dispose()
      return out
    }
    const exact = await run('none')
    const quantized = await run('uint8')
    // Channel 1 (every third value) is the narrow one.
    let error = 0
    let energy = 0
    for (let i = 1; i < exact.length; i += 3) {
      error += (exact[i]! - quantized[i]!) ** 2
      energy += exact[i]! ** 2
    }
    expect(Math.sqrt(error / energy)).toBeLessThan(0.01)
    x.dispose()
    model.dispose()
  })

  it('keeps the convolution’s node name on the activation, so readers of the node are unchanged', () => {
    const { nodes, tensors } = convertLayersModel(unevenModel(), {
      inputName: 'x',
      outputName: 'y',
      normalization: { scale: 1, offset: 0 },
    })
    const graph = serializeGraph(nodes, tensors, 'uint8').modelJson.modelTopology.node
    expect(graph.find((n) => n.name === 'dw')?.op).toBe('Relu6')
    expect(graph.find((n) => n.name === 'dw/scaled')?.op).toBe('Mul')
    expect(graph.find((n) => n.name === 'dw/integer')?.op).toBe('FusedDepthwiseConv2dNative')
    const weights = serializeGraph(nodes, tensors, 'uint8').modelJson.weightsManifest[0].weights
    expect(weights.find((w) => w.name === 'dw/kernel')?.quantization).toEqual({
      dtype: 'uint8',
      scale: 1,
      min: -127,
    })
    expect(weights.find((w) => w.name === 'dw/channel_scale')?.quantization).toBeUndefined()
  })
})
