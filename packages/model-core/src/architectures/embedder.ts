import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { type ConvertedGraph, convertLayersModel } from '../export/convert.ts'
import { inMemoryGraphModel } from '../export/in-memory.ts'
import { serializeGraph } from '../export/serialize.ts'
import type { AnyBackbone } from './load-backbone.ts'
import { transferGraph } from './served-graph.ts'

export interface Embedder {
  readonly dim: number
  readonly inputSize: number
  /** `pixels` holds `count` model inputs (size × size × 3, values 0–255) back to back. */
  embed(pixels: Float32Array, count: number): Promise<Float32Array>
  dispose(): void
}

const INPUT = 'pixels'
const OUTPUT = 'embedding_out'

/**
 * Embeds through the same float32 graph the exporter writes (BatchNorm folded, scaling inside), so
 * the head is trained on exactly what the served model computes, and faster than the Layers model.
 * Either kind of backbone: a graph backbone's nodes run as they will in the served graph.
 */
export function createEmbedder(backbone: AnyBackbone): Promise<Embedder> {
  const graph = transferGraph(backbone, undefined, {
    inputName: INPUT,
    outputName: OUTPUT,
    normalization: backbone.spec.normalization,
  })
  return embedderOver(graph, backbone.spec.inputSize, backbone.spec.featureDim)
}

/** Runs `layers` (scaled pixels → features) as an exported float32 graph; a row is its output per image. */
export function graphEmbedder(layers: tfl.LayersModel, backbone: AnyBackbone): Promise<Embedder> {
  const graph = convertLayersModel(layers, {
    inputName: INPUT,
    outputName: OUTPUT,
    normalization: backbone.spec.normalization,
  })
  const dim = (layers.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1)
  return embedderOver(graph, backbone.spec.inputSize, dim)
}

async function embedderOver(graph: ConvertedGraph, size: number, dim: number): Promise<Embedder> {
  const model = await inMemoryGraphModel(serializeGraph(graph.nodes, graph.tensors, 'none'))
  return {
    dim,
    inputSize: size,
    async embed(pixels, count) {
      const out = tf.tidy(
        () => model.execute({ [INPUT]: tf.tensor4d(pixels, [count, size, size, 3]) }, OUTPUT) as tf.Tensor,
      )
      const data = (await out.data()) as Float32Array
      out.dispose()
      return data
    },
    dispose: () => model.dispose(),
  }
}
