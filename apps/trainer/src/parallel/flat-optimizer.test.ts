import * as tf from '@tensorflow/tfjs-core'
import { flatAdamKernel, registerWasmTrainingKernels, sharedMemory } from '@whisker/model-core/kernels'
import { TimeDecaySgd, WarmupCosineAdam } from '@whisker/model-core/training'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  applyFlatStep,
  flatOptimizerFor,
  momentsPerWeight,
  UnsupportedOptimizerError,
} from './flat-optimizer.ts'

const SHAPES = [[3, 3, 2, 4], [4], [7, 2], [2]]
const SIZES = SHAPES.map((s) => tf.util.sizeFromShape(s))
const OFFSETS = SIZES.map((_, i) => SIZES.slice(0, i).reduce((a, b) => a + b, 0))
const TOTAL = SIZES.reduce((a, b) => a + b, 0)

/** Deterministic values spread over several orders of magnitude, signs mixed, and some exact zeros. */
function values(seed: number, length = TOTAL): Float32Array {
  let x = seed
  return Float32Array.from({ length }, (_, i) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return i % 17 === 0 ? 0 : (x / 2 ** 32 - 0.5) * 10 ** ((x % 5) - 3)
  })
}

/**
 * tfjs's optimiser on real variables, and the flat one on one array: `steps` steps, W gradient slots each.
 * With `simd`, the flat arrays live in a shared wasm memory and Adam runs as flat-adam.wat there.
 */
async function both(
  make: () => { optimizer: tf.Optimizer; nextRate: () => number },
  steps: number,
  workers: number,
  restoreAfter?: number,
  simd = false,
) {
  const reference = make()
  const flatSchedule = make()
  const variables = SHAPES.map((shape, i) =>
    tf.variable(tf.tensor(values(1, TOTAL).slice(OFFSETS[i], OFFSETS[i]! + SIZES[i]!), shape)),
  )
  const perWeight = momentsPerWeight(flatSchedule.optimizer)
  // Weights, moments, then the slots, each array starting one float after a 16-byte boundary so that the
  // kernel's vector loop meets unaligned addresses and a tail.
  const shared = simd ? sharedMemory((2 + perWeight + workers) * (TOTAL + 4) * 4) : undefined
  const kernel = shared && flatAdamKernel(shared)
  if (simd) expect(kernel).toBeDefined()
  let next = 1
  const place = (data: Float32Array) => {
    if (!shared) return data
    const view = new Float32Array(shared.buffer, next * 4, data.length)
    view.set(data)
    next = Math.ceil((next + data.length) / 4) * 4 + 1
    return view
  }
  const weights = place(values(1))
  const moments = place(new Float32Array(perWeight * TOTAL))
  const slotsAt = next
  let flat = await flatOptimizerFor(flatSchedule.optimizer, TOTAL, OFFSETS, moments)
  for (let step = 0; step < steps; step++) {
    next = slotsAt
    const slots = Array.from({ length: workers }, (_, w) => place(values(100 * step + w + 2)))
    reference.nextRate()
    tf.tidy(() => {
      const sum = slots.map((s) => tf.tensor1d(s)).reduce((a, b) => tf.add(a, b))
      reference.optimizer.applyGradients(
        variables.map((v, i) => ({
          name: v.name,
          tensor: tf.reshape(tf.slice(sum, OFFSETS[i]!, SIZES[i]!), SHAPES[i]!),
        })),
      )
    })
    flatSchedule.nextRate()
    const constants = flat.next(Number(flatSchedule.optimizer.getConfig().learningRate))
    // In ranges, as the workers take it: one range per worker, of uneven lengths.
    const cuts = [
      0,
      ...Array.from({ length: workers - 1 }, (_, w) => Math.floor((TOTAL * (w + 1)) / (workers + 1))),
      TOTAL,
    ]
    for (let r = 0; r + 1 < cuts.length; r++)
      applyFlatStep(constants, flat.moments, slots, weights, cuts[r]!, cuts[r + 1]!, kernel)
    if (step + 1 === restoreAfter) {
      // Through tfjs and back, as a checkpoint and a resumed run take it.
      const state = flat.state(
        variables.map((v) => ({ name: v.name, size: v.size, shape: v.shape })),
        OFFSETS,
      )
      const resumed = make()
      await resumed.optimizer.setWeights(state)
      tf.dispose(state.map((s) => s.tensor))
      for (let s = 0; s <= step; s++) resumed.nextRate()
      flat = await flatOptimizerFor(resumed.optimizer, TOTAL, OFFSETS, moments)
      Object.assign(flatSchedule, resumed)
    }
  }
  const expected = new Float32Array(TOTAL)
  for (const [i, v] of variables.entries()) expected.set(v.dataSync(), OFFSETS[i])
  const tfjsState = await reference.optimizer.getWeights()
  const flatState = flat.state(
    variables.map((v) => ({ name: v.name, size: v.size, shape: v.shape })),
    OFFSETS,
  )
  const named = (state: { name: string; tensor: tf.Tensor }[]) =>
    state.map(({ name, tensor }) => ({ name, values: Array.from(tensor.dataSync()) }))
  const result = {
    expected,
    weights,
    tfjsState: named(tfjsState),
    flatState: named(flatState),
    iterations: flat.iterations,
  }
  tf.dispose([...variables, ...tfjsState.map((s) => s.tensor), ...flatState.map((s) => s.tensor)])
  return result
}

const adam = () => {
  const schedule = new WarmupCosineAdam({ learningRate: 1e-3, totalSteps: 40, warmupSteps: 3 })
  return { optimizer: schedule.optimizer as tf.Optimizer, nextRate: () => schedule.nextRate() }
}
const momentum = () => {
  const schedule = new TimeDecaySgd()
  return { optimizer: schedule.optimizer as tf.Optimizer, nextRate: () => schedule.nextRate() }
}
const nesterov = () => {
  let t = 0
  const optimizer = tf.train.momentum(0.05, 0.9, true)
  return { optimizer: optimizer as tf.Optimizer, nextRate: () => 0.05 / (1 + 0.1 * t++) }
}

describe("the flat optimiser: tfjs's optimisers over the shared weight layout, in one loop", () => {
  beforeAll(async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
  })

  for (const [name, make] of [
    ['Adam, warm-up and cosine decay', adam],
    ['momentum SGD with time decay (the tutorial’s)', momentum],
    ['Nesterov momentum', nesterov],
  ] as const) {
    it(`steps as tfjs's ${name} does, to the bit, with the gradient summed from worker slots, range by range`, async () => {
      for (const workers of [1, 3]) {
        const run = await both(make, 12, workers)
        expect(run.weights).toEqual(run.expected)
        expect(run.flatState).toEqual(run.tfjsState)
        expect(run.iterations).toBe(12)
        expect(run.weights).not.toEqual(values(1))
      }
    })

    it(`continues ${name} from tfjs's state, as a resumed run does`, async () => {
      const straight = await both(make, 8, 2)
      const resumed = await both(make, 8, 2, 5)
      expect(resumed.iterations).toBe(8)
      // Adam's bias correction is restored as tfjs restores it (β^(t+1) by pow, not t products), so a
      // resumed Adam run may differ from a straight one in the last bits, as it does in tfjs.
      const scale = Math.max(...straight.expected.map(Math.abs))
      for (let i = 0; i < TOTAL; i++) {
        expect(Math.abs(resumed.weights[i]! - straight.weights[i]!)).toBeLessThanOrEqual(1e-6 * scale)
      }
    })
  }

  it("steps as tfjs's Adam does, to the bit, as the SIMD kernel over a shared wasm memory too", async () => {
    for (const workers of [1, 3]) {
      const run = await both(adam, 12, workers, undefined, true)
      expect(run.weights).toEqual(run.expected)
      expect(run.flatState).toEqual(run.tfjsState)
    }
    const resumed = await both(adam, 8, 2, 5, true)
    expect(resumed.weights).toEqual((await both(adam, 8, 2, 5)).weights)
  })

  it('refuses an optimiser it cannot repeat exactly, by name', async () => {
    await expect(flatOptimizerFor(tf.train.rmsprop(0.01), TOTAL, OFFSETS)).rejects.toThrow(
      UnsupportedOptimizerError,
    )
    await expect(flatOptimizerFor(tf.train.rmsprop(0.01), TOTAL, OFFSETS)).rejects.toThrow(/RMSProp/)
  })
})
