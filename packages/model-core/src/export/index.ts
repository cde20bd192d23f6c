import type * as tfl from '@tensorflow/tfjs-layers'
import type { Quantization } from '../card.ts'
import { type ConvertOptions, convertLayersModel } from './convert.ts'
import { type SerializedGraph, serializeGraph } from './serialize.ts'

export { type ConvertOptions, convertLayersModel, UnsupportedLayerError } from './convert.ts'
export { encodeTensor, toFloat16Bits } from './quantize.ts'
export { contentVersion, type SerializedGraph, serializeGraph } from './serialize.ts'

/** Layers model → quantized graph model, in memory. */
export function exportGraphModel(
  model: tfl.LayersModel,
  options: ConvertOptions & { quantization: Quantization },
): SerializedGraph {
  const { nodes, tensors } = convertLayersModel(model, options)
  return serializeGraph(nodes, tensors, options.quantization)
}
