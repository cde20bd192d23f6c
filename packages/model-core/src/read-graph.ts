import * as tf from '@tensorflow/tfjs-core'
import type { GraphNode, TensorGraph, WeightSpec } from './artifacts.ts'

/** What readGraph needs of a graph model.json: Whisker's own, or any tfjs graph model of float32/int32 weights. */
export interface StoredGraph {
  modelTopology: { node: GraphNode[] }
  weightsManifest: readonly { weights: readonly WeightSpec[] }[]
}

/**
 * The inverse of serializeGraph: nodes and named tensors back from a stored graph model, decoded the
 * way tfjs decodes them. From a float32 (`none`) export this is exact, which is what lets a run's
 * float32 graph be re-quantized later without the Layers model.
 */
export function readGraph(modelJson: StoredGraph, weights: ArrayBuffer): TensorGraph {
  // tfjs concatenates the groups' shards in manifest order: `weights` is that concatenation.
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights)
  const decoded = tf.io.decodeWeights(weights, specs as WeightSpec[])
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
