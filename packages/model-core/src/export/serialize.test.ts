import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { GraphNode, NamedTensor } from '../artifacts.ts'
import { seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import { constNode, placeholderNode } from './graph-def.ts'
import { contentVersion, type SerializedGraph, serializeGraph } from './serialize.ts'

beforeAll(useWasmBackend)

const random = seededRandom(21)
const TENSORS: NamedTensor[] = [
  { name: 'dense/kernel', shape: [8, 4], dtype: 'float32', data: uniform(random, 32, -1, 1) },
  { name: 'dense/bias', shape: [4], dtype: 'float32', data: uniform(random, 4, -1, 1) },
  { name: 'flatten/shape', shape: [2], dtype: 'int32', data: new Int32Array([-1, 8]) },
]
const NODES: GraphNode[] = [
  placeholderNode('x', [-1, 8]),
  ...TENSORS.map((t) => constNode(t.name, t.shape, t.dtype)),
]

/** A fresh serialization of the same nodes and tensors, so nothing is shared between two calls. */
const serialize = (quantization: 'none' | 'float16' | 'uint8' = 'none'): SerializedGraph =>
  serializeGraph(structuredClone(NODES), structuredClone(TENSORS), quantization)

describe('serializeGraph', () => {
  it('writes a graph-model model.json whose one manifest group points at weights.bin', () => {
    const { modelJson } = serialize()
    expect(modelJson.format).toBe('graph-model')
    expect(modelJson.modelTopology.node).toEqual(NODES)
    expect(modelJson.weightsManifest).toHaveLength(1)
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin'])
    expect(modelJson.weightsManifest[0].weights.map((w) => w.name)).toEqual(TENSORS.map((t) => t.name))
  })

  it('packs the tensors back to back, in manifest order, so stock tfjs decodes every one', () => {
    const { modelJson, weights } = serialize()
    expect(weights.byteLength).toBe((32 + 4 + 2) * 4)
    const decoded = tf.io.decodeWeights(weights, modelJson.weightsManifest[0].weights)
    for (const t of TENSORS) {
      expect(decoded[t.name]!.shape).toEqual(t.shape)
      expect(decoded[t.name]!.dataSync()).toEqual(t.data)
    }
    tf.dispose(Object.values(decoded))
  })
})

describe('contentVersion', () => {
  it('is 16 lowercase hex characters', async () => {
    expect(await contentVersion(serialize())).toMatch(/^[0-9a-f]{16}$/)
  })

  it('is the same for the same bytes, serialized twice', async () => {
    expect(await contentVersion(serialize())).toBe(await contentVersion(serialize()))
  })

  it('changes when a single weight byte changes', async () => {
    const graph = serialize()
    const bytes = new Uint8Array(graph.weights.slice(0))
    bytes[37] = bytes[37]! ^ 0x01
    const changed = { ...graph, weights: bytes.buffer }
    expect(await contentVersion(changed)).not.toBe(await contentVersion(graph))
  })

  it('changes when the topology changes and the weights do not', async () => {
    const graph = serialize()
    const renamed = structuredClone(graph)
    renamed.modelJson.modelTopology.node[0]!.name = 'y'
    expect(renamed.weights).toEqual(graph.weights)
    expect(await contentVersion(renamed)).not.toBe(await contentVersion(graph))
  })

  it('differs between quantizations of the same model', async () => {
    const versions = await Promise.all(
      (['none', 'float16', 'uint8'] as const).map((q) => contentVersion(serialize(q))),
    )
    expect(new Set(versions).size).toBe(3)
  })
})

describe('readGraph', () => {
  it('gives back exactly the nodes and tensors of a float32 export', async () => {
    const { readGraph } = await import('../read-graph.ts')
    const nodes = [{ name: 'w', op: 'Const' }]
    const tensors = [
      {
        name: 'w',
        shape: [2, 10],
        dtype: 'float32' as const,
        data: Float32Array.from({ length: 20 }, (_, i) => i / 7),
      },
      { name: 'axes', shape: [2], dtype: 'int32' as const, data: new Int32Array([1, 2]) },
    ]
    const graph = serializeGraph(nodes, tensors, 'none')
    const back = readGraph(graph.modelJson, graph.weights)
    expect(back.nodes).toEqual(nodes)
    expect(back.tensors).toEqual(tensors)
  })
})
