import type { GraphModelJson, GraphNode } from '../artifacts.ts'
import { MODEL_FILES } from '../artifacts.ts'
import { encodeTensor, type TensorEncoding } from './quantize.ts'
import type { NamedTensor } from './weights.ts'

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
  const encoded = tensors.map((t) => encodeTensor(t, encodingOf(t)))
  const weights = new Uint8Array(encoded.reduce((n, e) => n + e.bytes.byteLength, 0))
  let offset = 0
  for (const { bytes } of encoded) {
    weights.set(bytes, offset)
    offset += bytes.byteLength
  }
  return {
    modelJson: {
      format: 'graph-model',
      generatedBy: 'whisker',
      convertedBy: 'whisker model-core exporter',
      modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: [MODEL_FILES.weights], weights: encoded.map((e) => e.spec) }],
    },
    weights: weights.buffer,
  }
}

/** The model's version: a content hash of topology + weights, so equal versions mean equal bytes. */
export async function contentVersion(graph: SerializedGraph): Promise<string> {
  const topology = new TextEncoder().encode(JSON.stringify(graph.modelJson))
  const all = new Uint8Array(topology.byteLength + graph.weights.byteLength)
  all.set(topology, 0)
  all.set(new Uint8Array(graph.weights), topology.byteLength)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all))
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('')
}
