import * as tfl from '@tensorflow/tfjs-layers'
import { steppedDropout } from './dropout.ts'
import type { LoadedBackbone } from './load-backbone.ts'

export interface HeadOptions {
  /** Width of the hidden layer; 0 makes the head a plain (multinomial) logistic regression. */
  hidden: number
  dropout: number
  /** L2 penalty on the head's kernels. */
  l2: number
  classes: number
  /** Seeds weight initialisation and dropout, so a run is reproducible. */
  seed?: number
}

export const DEFAULT_HEAD: Omit<HeadOptions, 'classes'> = { hidden: 64, dropout: 0.4, l2: 1e-3 }

/** The head trained on pooled backbone embeddings: [Dense(hidden, relu) → Dropout →] Dense(classes, softmax). */
export function buildHead(inputDim: number, options: HeadOptions): tfl.Sequential {
  const regularizer = tfl.regularizers.l2({ l2: options.l2 })
  const head = tfl.sequential({ name: 'head' })
  if (options.hidden > 0) {
    head.add(
      tfl.layers.dense({
        inputShape: [inputDim],
        units: options.hidden,
        activation: 'relu',
        kernelRegularizer: regularizer,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: options.seed }),
        name: 'head_hidden',
      }),
    )
    const dropout = { rate: options.dropout, name: 'head_dropout' }
    head.add(
      options.seed === undefined
        ? tfl.layers.dropout(dropout)
        : steppedDropout({ ...dropout, seed: options.seed }),
    )
  }
  head.add(
    tfl.layers.dense({
      ...(options.hidden > 0 ? {} : { inputShape: [inputDim] }),
      units: options.classes,
      activation: 'softmax',
      kernelRegularizer: regularizer,
      kernelInitializer: tfl.initializers.glorotUniform({
        seed: options.seed === undefined ? undefined : options.seed + 1,
      }),
      name: 'head_output',
    }),
  )
  return head
}

/** Backbone → global average pool: the embedding model the head is trained on. */
export function embeddingModel(backbone: LoadedBackbone): tfl.LayersModel {
  return tfl.model({ inputs: backbone.model.inputs, outputs: poolAndHead(backbone.model.outputs[0]!) })
}

/**
 * One flat model, backbone → pooling → head, ready for export. The head's layers are re-created with
 * copies of its weights so that every layer in the result has exactly one inbound node.
 */
export function assembleTransferModel(backbone: LoadedBackbone, head: tfl.Sequential): tfl.LayersModel {
  const output = poolAndHead(backbone.model.outputs[0]!, head)
  return tfl.model({ inputs: backbone.model.inputs, outputs: output, name: 'whisker_transfer' })
}

/** A feature map → its global average pool (the embedding) → copies of the head's layers, if any. */
export function poolAndHead(features: tfl.SymbolicTensor, head?: tfl.Sequential): tfl.SymbolicTensor {
  let x = tfl.layers.globalAveragePooling2d({ name: 'embedding' }).apply(features) as tfl.SymbolicTensor
  for (const layer of head?.layers ?? []) {
    const copy = tfl.layers[layer.getClassName() === 'Dense' ? 'dense' : 'dropout'](
      withoutInputShape(layer.getConfig()) as never,
    )
    x = copy.apply(x) as tfl.SymbolicTensor
    copy.setWeights(layer.getWeights())
  }
  return x
}

function withoutInputShape(config: object): object {
  const { batchInputShape: _b, inputShape: _i, ...rest } = config as Record<string, unknown>
  return rest
}
