import * as tf from '@tensorflow/tfjs-core'
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

/**
 * The tutorial's optimiser: SGD, learning rate 0.01, momentum 0.9, with Keras' time-based decay
 * lr_t = lr / (1 + decay · t) applied per batch (t = batches seen). tfjs has no decaying SGD, so the
 * schedule is applied by setting the rate before each batch.
 */
export class TimeDecaySgd {
  readonly optimizer: tf.MomentumOptimizer
  readonly #initial: number
  readonly #decay: number
  #step = 0

  constructor(learningRate = 0.01, momentum = 0.9, decay = learningRate / 25) {
    this.optimizer = tf.train.momentum(learningRate, momentum)
    this.#initial = learningRate
    this.#decay = decay
  }

  /** Batches seen so far: what a checkpoint stores, and sets again to resume the schedule. */
  get step(): number {
    return this.#step
  }

  set step(value: number) {
    this.#step = value
  }

  /** Call before each batch: advances the schedule and returns the rate that batch uses. */
  nextRate(): number {
    const rate = this.#initial / (1 + this.#decay * this.#step++)
    this.optimizer.setLearningRate(rate)
    return rate
  }
}
