import type * as tfl from '@tensorflow/tfjs-layers'
import { type ConvertOptions, convertLayersModel } from './convert.ts'
import type { TensorEncoding } from './quantize.ts'
import { type SerializedGraph, serializeGraph } from './serialize.ts'

export type { NamedTensor } from '../artifacts.ts'
export { readGraph } from '../read-graph.ts'
export {
  type AutoQuantizeOptions,
  type AutoQuantizeResult,
  autoQuantize,
  type ChosenTensor,
  type QuantizationChoice,
} from './auto-quantize.ts'
export {
  type ConvertedGraph,
  type ConvertOptions,
  convertLayersModel,
  UnsupportedLayerError,
} from './convert.ts'
export {
  DEFAULT_OUTPUT_BUDGET,
  type OutputBudget,
  type OutputChange,
  outputChange,
  withinBudget,
} from './output-change.ts'
export {
  encodeTensor,
  isQuantizable,
  type TensorEncoding,
  toFloat16Bits,
  uint8ChannelError,
} from './quantize.ts'
export { contentVersion, type SerializedGraph, serializeGraph } from './serialize.ts'

/** Layers model → graph model with one storage format for every tensor, in memory. */
export function exportGraphModel(
  model: tfl.LayersModel,
  options: ConvertOptions & { quantization: TensorEncoding },
): SerializedGraph {
  const { nodes, tensors } = convertLayersModel(model, options)
  return serializeGraph(nodes, tensors, options.quantization)
}
