import * as tf from '@tensorflow/tfjs-core'

/**
 * An optimiser whose learning rate follows a schedule of optimiser steps. The trainer calls `nextRate()`
 * before each batch and stores `step` in its checkpoints, so a resumed run continues the same schedule.
 */
export interface ScheduledOptimizer {
  readonly optimizer: tf.Optimizer
  /** Batches seen so far: what a checkpoint stores, and sets again to resume the schedule. */
  step: number
  /** Call before each batch: advances the schedule and returns the rate that batch uses. */
  nextRate(): number
}

/**
 * The tutorial's optimiser: SGD, learning rate 0.01, momentum 0.9, with Keras' time-based decay
 * lr_t = lr / (1 + decay · t) applied per batch (t = batches seen). tfjs has no decaying SGD, so the
 * schedule is applied by setting the rate before each batch.
 */
export class TimeDecaySgd implements ScheduledOptimizer {
  readonly optimizer: tf.MomentumOptimizer
  step = 0
  readonly #initial: number
  readonly #decay: number

  constructor(learningRate = 0.01, momentum = 0.9, decay = learningRate / 25) {
    this.optimizer = tf.train.momentum(learningRate, momentum)
    this.#initial = learningRate
    this.#decay = decay
  }

  nextRate(): number {
    const rate = this.#initial / (1 + this.#decay * this.step++)
    this.optimizer.setLearningRate(rate)
    return rate
  }
}

/** tfjs's Adam keeps its rate in a protected field and has no setter; this one adds it. */
class AdamWithRate extends tf.AdamOptimizer {
  setLearningRate(rate: number): void {
    this.learningRate = rate
  }
}

export interface WarmupCosineOptions {
  /** The peak rate, reached at the end of the warm-up. */
  learningRate: number
  /** Every step the run will take: the rate reaches 0 at the last one. */
  totalSteps: number
  /** Steps of linear warm-up from learningRate / warmupSteps to learningRate. */
  warmupSteps: number
}

/**
 * Adam with a linear warm-up and a cosine decay to zero over a fixed number of steps. Ending at a rate of
 * zero makes the last epoch's weights the ones to keep, so no epoch has to be chosen on validation photos:
 * their figure stays a measurement, not a selection.
 */
export class WarmupCosineAdam implements ScheduledOptimizer {
  step = 0
  readonly #adam: AdamWithRate
  readonly #options: WarmupCosineOptions

  constructor(options: WarmupCosineOptions) {
    if (!(options.totalSteps > 0 && options.warmupSteps >= 0 && options.warmupSteps < options.totalSteps)) {
      throw new RangeError(
        `warm-up of ${options.warmupSteps} steps must be shorter than ${options.totalSteps}`,
      )
    }
    this.#adam = new AdamWithRate(options.learningRate, 0.9, 0.999)
    this.#options = options
  }

  get optimizer(): tf.AdamOptimizer {
    return this.#adam
  }

  nextRate(): number {
    const { learningRate, totalSteps, warmupSteps } = this.#options
    const t = this.step++
    const rate =
      t < warmupSteps
        ? (learningRate * (t + 1)) / warmupSteps
        : learningRate *
          0.5 *
          (1 +
            Math.cos(
              (Math.PI * Math.min(t - warmupSteps, totalSteps - warmupSteps)) / (totalSteps - warmupSteps),
            ))
    this.#adam.setLearningRate(rate)
    return rate
  }
}
