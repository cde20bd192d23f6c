import * as tf from '@tensorflow/tfjs-core'
import type { GraphModelJson } from '../artifacts.ts'
import type { ConvertedGraph } from './convert.ts'

/**
 * The inverse of serializeGraph: nodes and named tensors back from a stored graph model, decoded the
 * way tfjs decodes them. From a float32 (`none`) export this is exact, which is what lets a run's
 * float32 graph be re-quantized later without the Layers model.
 */
export function readGraph(modelJson: GraphModelJson, weights: ArrayBuffer): ConvertedGraph {
  const specs = modelJson.weightsManifest[0].weights
  const decoded = tf.io.decodeWeights(weights, specs)
  const tensors = specs.map((spec) => {
    const tensor = decoded[spec.name]!
    const values = tensor.dataSync()
    tensor.dispose()
    return {
      name: spec.name,
      shape: [...spec.shape],
      dtype: spec.dtype,
      data: spec.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values),
    }
  })
  return { nodes: modelJson.modelTopology.node, tensors }
}
