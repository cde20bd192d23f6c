import * as tfl from '@tensorflow/tfjs-layers'
import { type ConvertedGraph, type ConvertOptions, convertLayersModel } from '../export/convert.ts'
import { inputStem } from '../export/stem.ts'
import { spliceBackbone } from './graph-backbone.ts'
import type { AnyBackbone } from './load-backbone.ts'
import { assembleTransferModel, embeddingModel, poolAndHead } from './transfer.ts'

/**
 * Backbone → global average pool [→ head] as exporter graph nodes, for either kind of backbone: what the
 * embedder runs (no head) and what the trainer serves (with its head), so both compute the same thing.
 * A layers backbone goes through convertLayersModel whole. A graph backbone's own nodes sit between the
 * exporter's input stem (scaling, mirror views) and the pooling + head, which convertLayersModel writes
 * from a small Layers model that starts at the feature map.
 */
export function transferGraph(
  backbone: AnyBackbone,
  head: tfl.Sequential | undefined,
  options: ConvertOptions,
): ConvertedGraph {
  if (backbone.kind === 'layers') {
    return convertLayersModel(
      head ? assembleTransferModel(backbone, head) : embeddingModel(backbone),
      options,
    )
  }
  const size = backbone.spec.inputSize
  const stem = inputStem(options, [-1, size, size, 3])
  const features = tfl.input({ shape: backbone.featureShape.slice(1) as number[] })
  const top = convertLayersModel(tfl.model({ inputs: features, outputs: poolAndHead(features, head) }), {
    ...options,
    from: backbone.featureNode,
  })
  return {
    nodes: [...stem.nodes, ...spliceBackbone(backbone, stem.output), ...top.nodes],
    tensors: [...stem.tensors, ...backbone.graph.tensors, ...top.tensors],
  }
}
