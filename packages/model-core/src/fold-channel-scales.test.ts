import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fusedOps } from './artifacts.ts'
import { type ConvertedGraph, convertLayersModel } from './export/convert.ts'
import { serializeGraph } from './export/serialize.ts'
import { foldChannelScales } from './fold-channel-scales.ts'
import { readGraph } from './read-graph.ts'
import { loadStock, runGraph, useWasmBackend } from './test-support/tf.ts'

/** conv (relu6) → depthwise (relu6) → conv (no activation): each kind of chain the exporter splits. */
function threeConvolutions(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] })
  let x = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu6', name: 'a' })
    .apply(input)
  x = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6', name: 'b' }).apply(x)
  x = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(x)
  return tfl.model({ inputs: input, outputs: x as tfl.SymbolicTensor })
}

let model: tfl.LayersModel
let converted: ConvertedGraph
let split: ConvertedGraph
beforeAll(async () => {
  await useWasmBackend()
  model = threeConvolutions()
  converted = convertLayersModel(model, {
    inputName: 'x',
    outputName: 'y',
    normalization: { scale: 1, offset: 0 },
  })
  const stored = serializeGraph(converted.nodes, converted.tensors, 'uint8')
  split = readGraph(stored.modelJson, stored.weights)
})
afterAll(() => model.dispose())

describe('foldChannelScales', () => {
  it('turns every conv → per-channel Mul → activation chain back into one fused convolution', () => {
    const folded = foldChannelScales(split)
    const ops = (graph: ConvertedGraph) =>
      graph.nodes.filter((n) => n.op !== 'Const').map((n) => `${n.name}:${n.op}`)
    expect(ops(split)).toContain('b/scaled:Mul')
    // The input's own scaling (x/scaled, x/normalized) reads no convolution and stays.
    expect(ops(folded)).toEqual([
      'x:Placeholder',
      'x/scaled:Mul',
      'x/normalized:AddV2',
      'a:_FusedConv2D',
      'b:FusedDepthwiseConv2dNative',
      'c:_FusedConv2D',
      'y:Identity',
    ])
    const byName = new Map(folded.nodes.map((n) => [n.name, n]))
    expect(fusedOps(byName.get('a')!)).toEqual(['BiasAdd', 'Relu6'])
    expect(fusedOps(byName.get('b')!)).toEqual(['BiasAdd', 'Relu6'])
    expect(fusedOps(byName.get('c')!)).toEqual(['BiasAdd'])
    // The scales are gone from the weights as well as the graph.
    expect(folded.tensors.some((t) => t.name.endsWith('/channel_scale'))).toBe(false)
  })

  it('computes what the stored graph computes, within float32 rounding', async () => {
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 5)
    const run = async (graph: ConvertedGraph) => {
      const loaded = await loadStock(serializeGraph(graph.nodes, graph.tensors, 'none'))
      const out = await runGraph(loaded, { x }, 'y')
      loaded.dispose()
      return out
    }
    const [before, after] = [await run(split), await run(foldChannelScales(split))]
    const scale = Math.max(...before.map(Math.abs))
    for (let i = 0; i < before.length; i++)
      expect(Math.abs(after[i]! - before[i]!)).toBeLessThan(1e-5 * scale)
    x.dispose()
  })

  it('leaves a chain alone when anything else reads its middle', () => {
    const reader = { name: 'peek', op: 'Identity', input: ['b/integer'] }
    const folded = foldChannelScales({ nodes: [...split.nodes, reader], tensors: split.tensors })
    const names = new Set(folded.nodes.map((n) => n.name))
    expect(names.has('b/integer') && names.has('b/scaled')).toBe(true)
    expect(names.has('a/integer') || names.has('c/integer')).toBe(false)
  })

  it('leaves a graph without per-channel scales exactly as it was', () => {
    const plain = serializeGraph(converted.nodes, converted.tensors, 'none')
    const graph = readGraph(plain.modelJson, plain.weights)
    const folded = foldChannelScales(graph)
    expect(folded.nodes).toEqual(graph.nodes)
    expect(folded.tensors).toEqual(graph.tensors)
  })
})
