import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import type { SerializedGraph } from './serialize.ts'

/** A serialized graph, loaded as tfjs would load its files, without touching the disk. */
export function inMemoryGraphModel(graph: SerializedGraph): Promise<GraphModel> {
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: graph.modelJson.modelTopology,
      weightSpecs: graph.modelJson.weightsManifest[0].weights,
      weightData: graph.weights,
    }),
  )
}
