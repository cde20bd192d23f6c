import { concatBytes, sha256Hex } from '@whisker/preprocess'
import type { GraphModelJson, GraphNode, NamedTensor } from '../artifacts.ts'
import { MODEL_FILES } from '../artifacts.ts'
import { perChannelKernels } from './per-channel.ts'
import { encodeChannelIntegers, encodeTensor, type TensorEncoding } from './quantize.ts'

export interface SerializedGraph {
  modelJson: GraphModelJson
  weights: ArrayBuffer
}

/** Packs nodes and tensors into model.json + one weights file that `tf.loadGraphModel` reads as is. */
export function serializeGraph(
  nodes: GraphNode[],
  tensors: NamedTensor[],
  encoding: TensorEncoding | ((tensor: NamedTensor) => TensorEncoding),
): SerializedGraph {
  const encodingOf = typeof encoding === 'function' ? encoding : () => encoding
  // Convolution kernels asked for in uint8 get a scale per output channel (see perChannelKernels).
  const asked = new Map(tensors.map((t) => [t.name, encodingOf(t)]))
  const uint8 = new Set(tensors.filter((t) => asked.get(t.name) === 'uint8').map((t) => t.name))
  const graph = perChannelKernels(nodes, tensors, uint8)
  const rescaledBiases = new Set(
    graph.nodes.filter((n) => n.name.endsWith('/integer')).map((n) => n.input?.[2] ?? ''),
  )
  const encoded = graph.tensors.map((t) => {
    if (graph.integerKernels.has(t.name)) return encodeChannelIntegers(t)
    const wanted = asked.get(t.name) ?? 'none' // the per-channel scales: float32, a few hundred bytes
    // A bias divided by its channel's scale spans too wide a range for one uint8 step, and can pass
    // float16's largest value (65,504) where a channel's weights are tiny.
    if (rescaledBiases.has(t.name) && wanted !== 'none') {
      return encodeTensor(t, maxAbs(t.data) < 6e4 ? 'float16' : 'none')
    }
    return encodeTensor(t, wanted)
  })
  // A copy even of one tensor's bytes, so the weights own exactly their buffer.
  const weights = concatBytes(encoded.map((e) => e.bytes)).slice()
  return {
    modelJson: {
      format: 'graph-model',
      generatedBy: 'whisker',
      convertedBy: 'whisker model-core exporter',
      modelTopology: { node: graph.nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: [MODEL_FILES.weights], weights: encoded.map((e) => e.spec) }],
    },
    weights: weights.buffer,
  }
}

/** The model's version: a content hash of topology + weights, so equal versions mean equal bytes. */
export async function contentVersion(graph: SerializedGraph): Promise<string> {
  const topology = new TextEncoder().encode(JSON.stringify(graph.modelJson))
  // 16 hex digits (64 bits) of the SHA-256: short enough for URLs and cache keys, far from colliding.
  return (await sha256Hex(concatBytes([topology, new Uint8Array(graph.weights)]))).slice(0, 16)
}

function maxAbs(data: Float32Array | Int32Array): number {
  let max = 0
  for (const v of data) max = Math.max(max, Math.abs(v))
  return max
}
