import * as tfl from '@tensorflow/tfjs-layers'
import { steppedDropout } from './dropout.ts'

/** The reference tutorial's input: 150×150 RGB scaled to [0, 1] (the scaling lives in the exported graph). */
export const SEED_CNN_INPUT = { size: 150, normalization: { scale: 1 / 255, offset: 0 } } as const

export interface SeedCnnOptions {
  classes: number
  seed?: number
  /** Input height and width in pixels (the tutorial's 150 by default). */
  size?: number
}

/**
 * Exactly the reference tutorial's network: Conv 32 → pool → Conv 32 → pool → Conv 64 → pool →
 * Dropout 0.25 → Flatten → Dense 64 → Dropout 0.5 → Dense(classes, softmax); 3×3 'same' convolutions
 * with ReLU, 2×2 max pooling. Takes inputs already scaled to [0, 1].
 */
export function buildSeedCnn(options: SeedCnnOptions): tfl.Sequential {
  const init = (offset: number) =>
    tfl.initializers.glorotUniform({ seed: options.seed === undefined ? undefined : options.seed + offset })
  const size = options.size ?? SEED_CNN_INPUT.size
  const conv = (filters: number, offset: number, first = false) =>
    tfl.layers.conv2d({
      ...(first ? { inputShape: [size, size, 3] } : {}),
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(offset),
    })
  const dropout = (rate: number, offset: number) =>
    options.seed === undefined
      ? tfl.layers.dropout({ rate })
      : steppedDropout({ rate, seed: options.seed + offset })
  const model = tfl.sequential({ name: 'seed_cnn' })
  model.add(conv(32, 0, true))
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(conv(32, 1))
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(conv(64, 2))
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }))
  model.add(dropout(0.25, 5))
  model.add(tfl.layers.flatten())
  model.add(tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(3) }))
  model.add(dropout(0.5, 6))
  model.add(tfl.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: init(4) }))
  return model
}
