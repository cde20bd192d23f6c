import { loadGraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { exportGraphModel } from '../export/index.ts'
import type { LoadedBackbone } from './load-backbone.ts'
import { embeddingModel } from './transfer.ts'

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
 */
export function createEmbedder(backbone: LoadedBackbone): Promise<Embedder> {
  return graphEmbedder(embeddingModel(backbone), backbone)
}

/** Runs `layers` (scaled pixels → features) as an exported float32 graph; a row is its output per image. */
export async function graphEmbedder(layers: tfl.LayersModel, backbone: LoadedBackbone): Promise<Embedder> {
  const graph = exportGraphModel(layers, {
    inputName: INPUT,
    outputName: OUTPUT,
    normalization: backbone.spec.normalization,
    quantization: 'none',
  })
  const model = await loadGraphModel(
    tf.io.fromMemory({
      modelTopology: graph.modelJson.modelTopology,
      weightSpecs: graph.modelJson.weightsManifest[0].weights,
      weightData: graph.weights,
    }),
  )
  const size = backbone.spec.inputSize
  return {
    dim: (layers.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1),
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
