import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { useWasmBackend } from '../test-support/tf.ts'
import { TimeDecaySgd, WarmupCosineAdam } from './schedules.ts'

beforeAll(useWasmBackend)

describe('TimeDecaySgd', () => {
  it('follows Keras time-based decay: lr / (1 + decay · step)', () => {
    const sgd = new TimeDecaySgd(0.01, 0.9, 0.1)
    expect([sgd.nextRate(), sgd.nextRate(), sgd.nextRate()]).toEqual([0.01, 0.01 / 1.1, 0.01 / 1.2])
    expect(sgd.step).toBe(3)
  })

  it('resumes its schedule at the step a checkpoint stored', () => {
    const sgd = new TimeDecaySgd(0.01, 0.9, 0.1)
    sgd.step = 2
    expect(sgd.nextRate()).toBe(0.01 / 1.2)
  })
})

describe('WarmupCosineAdam', () => {
  const rates = (adam: WarmupCosineAdam, n: number) => Array.from({ length: n }, () => adam.nextRate())

  it('warms up linearly to the peak, then decays along a cosine to zero at the last step', () => {
    const adam = new WarmupCosineAdam({ learningRate: 0.004, totalSteps: 6, warmupSteps: 2 })
    const r = rates(adam, 7)
    expect(r.slice(0, 3)).toEqual([0.002, 0.004, 0.004])
    expect(r[3]).toBeCloseTo(0.004 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12)
    expect(r[4]).toBeCloseTo(0.002, 12)
    expect(r[5]).toBeCloseTo(0.004 * 0.5 * (1 + Math.cos((3 * Math.PI) / 4)), 12)
    // Past the planned steps (never in a run) the rate stays at zero rather than rising again.
    expect(r[6]).toBeCloseTo(0, 12)
  })

  it('resumes its schedule at the step a checkpoint stored', () => {
    const whole = rates(new WarmupCosineAdam({ learningRate: 1e-3, totalSteps: 10, warmupSteps: 3 }), 10)
    const resumed = new WarmupCosineAdam({ learningRate: 1e-3, totalSteps: 10, warmupSteps: 3 })
    resumed.step = 4
    expect(rates(resumed, 6)).toEqual(whole.slice(4))
  })

  it('steps Adam at the scheduled rate', () => {
    // Adam's first step moves each weight by the rate (its bias-corrected m / √v is ±1), so the change
    // shows which rate was used.
    const adam = new WarmupCosineAdam({ learningRate: 0.5, totalSteps: 4, warmupSteps: 2 })
    const w = tf.variable(tf.scalar(1))
    const rate = adam.nextRate()
    adam.optimizer.applyGradients([{ name: w.name, tensor: tf.scalar(3) }])
    expect(rate).toBe(0.25)
    expect(w.dataSync()[0]).toBeCloseTo(0.75, 5)
    adam.optimizer.dispose()
    w.dispose()
  })

  it('refuses a warm-up as long as the run', () => {
    expect(() => new WarmupCosineAdam({ learningRate: 1e-3, totalSteps: 3, warmupSteps: 3 })).toThrow(
      RangeError,
    )
  })
})
