import * as tf from '@tensorflow/tfjs-core'
import type { FlatAdamKernel } from '@whisker/model-core/kernels'

/**
 * tfjs's Adam and momentum SGD, taken over the flat weight layout the workers share, one loop per range.
 *
 * Written by hand because of where it runs: between two data-parallel steps, while every worker would
 * otherwise wait. tfjs's optimisers run about a dozen kernels per weight tensor, after the gradient slots
 * have been added up and cut back into tensors: 7–11 ms a step for the seed CNN at 64², on the main thread.
 * Here each worker updates its own range of the weights in place (`applyFlatStep`), reading every slot once,
 * and the main thread only computes the step's few constants (`next`).
 *
 * It repeats tfjs's arithmetic operation by operation, each result rounded to float32 as the kernels round
 * it, so the weights are the same, bit for bit, as `optimizer.applyGradients` gives (tested), and a run can
 * move between this and tfjs at any checkpoint: `flatOptimizerFor` reads tfjs's state, `state` gives it back.
 * In the workers Adam runs as @whisker/model-core's flat-adam.wat over the same arrays in a shared wasm
 * memory, the same operations four weights at a time: 14× faster than the JavaScript loop below, which
 * stays the reference (the tests hold both to tfjs) and serves momentum and engines without wasm SIMD.
 */
export interface FlatOptimizer {
  /** The constants of the next step at learning rate `rate`; advances the step count and bias corrections. */
  next(rate: number): FlatStep
  /** Steps taken, as tfjs's `iterations`. */
  readonly iterations: number
  /**
   * The optimiser's per-weight state, in the flat layout: Adam's first then second moments (2 × total),
   * momentum's accumulation (total). Shared with the workers that apply the steps.
   */
  readonly moments: Float32Array<ArrayBufferLike>
  /** The state as tfjs's `getWeights` names it, cut at `offsets`; the caller disposes the tensors. */
  state(variables: readonly FlatVariable[], offsets: readonly number[]): NamedTensor[]
}

/** One step's constants: plain data, posted to every worker that applies a range of it. */
export type FlatStep =
  | {
      kind: 'adam'
      beta1: number
      beta2: number
      oneMinusBeta1: number
      oneMinusBeta2: number
      epsilon: number
      /** 1 − β^t, tfjs's bias corrections. */
      bias1: number
      bias2: number
      minusRate: number
    }
  | { kind: 'momentum'; momentum: number; nesterov: boolean; minusRate: number }

/** A weight's name, size and shape: what `state` needs to name and cut tfjs's tensors. */
export interface FlatVariable {
  name: string
  size: number
  shape: number[]
}

/** tfjs's own type of an optimiser weight (`getWeights`, `setWeights`), which its index does not export. */
export interface NamedTensor {
  name: string
  tensor: tf.Tensor
}

export class UnsupportedOptimizerError extends Error {
  readonly code = 'UNSUPPORTED_OPTIMIZER'
  constructor(name: string) {
    super(`data-parallel training steps Adam and momentum SGD; ${name} is not supported`)
    this.name = 'UnsupportedOptimizerError'
  }
}

const f32 = Math.fround

/**
 * Applies `step` to weights [from, to): the gradient is the sum of `slots`, added in their order in float32
 * as tfjs's AddN adds them; `weights` and `moments` are updated in place, and the first slot's range is left
 * holding the sum. Ranges are independent, so workers may each take one.
 *
 * With `simd` (every array a view on the shared memory that kernel is bound to), Adam runs as flat-adam.wat:
 * the same float32 operations four weights at a time, the same bits (tested), where this loop needs a
 * Math.fround after every operation.
 */
export function applyFlatStep(
  step: FlatStep,
  moments: Float32Array<ArrayBufferLike>,
  slots: readonly Float32Array<ArrayBufferLike>[],
  weights: Float32Array<ArrayBufferLike>,
  from: number,
  to: number,
  simd?: FlatAdamKernel,
): void {
  const total = weights.length
  const gradient = slots[0]!
  if (simd && step.kind === 'adam') {
    const at = (array: Float32Array<ArrayBufferLike>, i = from) => array.byteOffset + i * 4
    for (const other of slots.slice(1)) simd.add(at(gradient), at(other), to - from)
    const { beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, bias1, bias2, minusRate } = step
    simd.adam(
      at(gradient),
      at(moments),
      at(moments, total + from),
      at(weights),
      to - from,
      beta1,
      beta2,
      oneMinusBeta1,
      oneMinusBeta2,
      epsilon,
      bias1,
      bias2,
      minusRate,
    )
    return
  }
  // The slots summed into the first, in a pass of their own, and every array a local: the update loop then
  // reads one gradient array, which halved its time against summing the slots inside it (145k weights with
  // two slots, 2.5 → 1.6 ms in a micro-benchmark; a worker's share of the seed CNN at 64 px).
  for (const other of slots.slice(1)) {
    for (let i = from; i < to; i++) gradient[i] = f32(gradient[i]! + other[i]!)
  }
  if (step.kind === 'adam') {
    const { beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, bias1, bias2, minusRate } = step
    const first = moments.subarray(0, total)
    const second = moments.subarray(total, 2 * total)
    for (let i = from; i < to; i++) {
      const g = gradient[i]!
      const m = f32(f32(first[i]! * beta1) + f32(g * oneMinusBeta1))
      const v = f32(f32(second[i]! * beta2) + f32(f32(g * g) * oneMinusBeta2))
      first[i] = m
      second[i] = v
      const corrected = f32(f32(m / bias1) / f32(f32(Math.sqrt(f32(v / bias2))) + epsilon))
      weights[i] = f32(f32(corrected * minusRate) + weights[i]!)
    }
    return
  }
  const { momentum, nesterov, minusRate } = step
  for (let i = from; i < to; i++) {
    const g = gradient[i]!
    const a = f32(f32(momentum * moments[i]!) + g)
    moments[i] = a
    const change = nesterov ? f32(minusRate * f32(g + f32(a * momentum))) : f32(minusRate * a)
    weights[i] = f32(change + weights[i]!)
  }
}

/** The number of moments per weight `optimizer` keeps: 2 for Adam, 1 for momentum. */
export function momentsPerWeight(optimizer: tf.Optimizer): number {
  const kind = optimizer.getClassName()
  if (kind === 'Adam') return 2
  if (kind === 'Momentum') return 1
  throw new UnsupportedOptimizerError(kind)
}

/**
 * The flat twin of `optimizer`, starting from its current state (zeros before its first step; whatever
 * `setWeights` restored after a checkpoint), kept in `moments` (`momentsPerWeight` × total). tfjs matches
 * moments to weights by position, and so does this.
 */
export async function flatOptimizerFor(
  optimizer: tf.Optimizer,
  total: number,
  offsets: readonly number[],
  moments?: Float32Array<ArrayBufferLike>,
): Promise<FlatOptimizer> {
  const perWeight = momentsPerWeight(optimizer)
  moments ??= new Float32Array(perWeight * total)
  if (moments.length !== perWeight * total)
    throw new RangeError(`${moments.length} moments for ${perWeight} × ${total} weights`)
  const saved = await optimizer.getWeights()
  const iterations = saved.length > 0 ? (await saved[0]!.tensor.data())[0]! : 0
  // The count is a fresh scalar; the rest are the optimiser's own variables.
  saved[0]?.tensor.dispose()
  const slots = saved.slice(1)
  if (slots.length !== 0 && slots.length !== perWeight * offsets.length)
    throw new RangeError(`${slots.length} optimiser slots for ${offsets.length} weights`)
  moments.fill(0)
  for (const [i, slot] of slots.entries()) {
    const which = Math.floor(i / offsets.length)
    moments.set(await slot.tensor.data<'float32'>(), which * total + offsets[i % offsets.length]!)
  }
  const config = optimizer.getConfig()
  const cut = (suffixes: readonly string[], variables: readonly FlatVariable[], at: readonly number[]) =>
    suffixes.flatMap((suffix, which) =>
      variables.map((variable, i) => {
        const start = which * total + at[i]!
        return {
          name: `${variable.name}/${suffix}`,
          tensor: tf.tensor(moments.slice(start, start + variable.size), variable.shape),
        }
      }),
    )
  let steps = iterations
  const counter = () => ({ name: 'iter', tensor: tf.scalar(steps, 'int32') })
  if (optimizer.getClassName() === 'Adam') {
    const beta1 = Number(config.beta1)
    const beta2 = Number(config.beta2)
    // What every step shares, as the float32 scalars tfjs makes of them.
    const fixed = {
      beta1: f32(beta1),
      beta2: f32(beta2),
      // tfjs multiplies by `1 - beta` computed in float64, then made a float32 scalar.
      oneMinusBeta1: f32(1 - beta1),
      oneMinusBeta2: f32(1 - beta2),
      epsilon: f32(Number(config.epsilon)),
    }
    // tfjs's accBeta: beta at construction, beta^(iterations + 1) (its `pow` kernel) when restored.
    let accBeta1 = iterations === 0 ? fixed.beta1 : powF32(beta1, iterations + 1)
    let accBeta2 = iterations === 0 ? fixed.beta2 : powF32(beta2, iterations + 1)
    return {
      moments,
      get iterations() {
        return steps
      },
      next(rate) {
        const step: FlatStep = {
          kind: 'adam',
          ...fixed,
          bias1: f32(1 - accBeta1),
          bias2: f32(1 - accBeta2),
          minusRate: f32(-rate),
        }
        accBeta1 = f32(accBeta1 * fixed.beta1)
        accBeta2 = f32(accBeta2 * fixed.beta2)
        steps++
        return step
      },
      state: (variables, at) => [counter(), ...cut(['m', 'v'], variables, at)],
    }
  }
  const momentum = f32(Number(config.momentum))
  const nesterov = Boolean(config.useNesterov)
  return {
    moments,
    get iterations() {
      return steps
    },
    next(rate) {
      steps++
      return { kind: 'momentum', momentum, nesterov, minusRate: f32(-rate) }
    },
    state: (variables, at) => [counter(), ...cut(['momentum'], variables, at)],
  }
}

/** base^exponent as tfjs's `pow` kernel computes it on the backend in use. */
function powF32(base: number, exponent: number): number {
  return tf.tidy(() => tf.pow(tf.scalar(base), tf.scalar(exponent)).dataSync()[0]!)
}
