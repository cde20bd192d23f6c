import * as tfl from '@tensorflow/tfjs-layers'

export interface SteppedDropoutOptions {
  rate: number
  seed: number
  name?: string
}

/** Base seed and training calls so far, per layer made by `steppedDropout`. */
const steps = new WeakMap<tfl.layers.Layer, { seed: number; step: number }>()

/**
 * A Dropout layer whose mask is new at every training step yet reproducible from the seed.
 *
 * tfjs's Dropout passes its own fixed `seed` to every call, so a seeded Dropout drops the same units
 * at every step: it trains one thinned network instead of regularising, while an unseeded one cannot
 * be reproduced. Here the layer counts its training calls (one per forward pass) and `seed` reads as a
 * hash of (seed, step). The layer stays a plain `Dropout` (class name, config, export), and
 * `setDropoutStep` puts a resumed run back on the same sequence of masks.
 */
export function steppedDropout(options: SteppedDropoutOptions): tfl.layers.Layer {
  const layer = tfl.layers.dropout({ rate: options.rate, seed: options.seed, name: options.name })
  const state = { seed: options.seed, step: 0 }
  steps.set(layer, state)
  const call = layer.call.bind(layer)
  layer.call = (inputs, kwargs) => {
    if (kwargs.training) state.step++
    return call(inputs, kwargs)
  }
  Object.defineProperty(layer, 'seed', {
    // Knuth's multiplicative hash spreads consecutive steps over the seed space.
    get: () => (state.seed + Math.imul(state.step, 0x9e3779b1)) >>> 0,
    configurable: true,
  })
  return layer
}

/** Continues every stepped dropout layer of `model` at `step` training steps (after a resume). */
export function setDropoutStep(model: tfl.LayersModel, step: number): void {
  for (const layer of model.layers) {
    const state = steps.get(layer)
    if (state) state.step = step
  }
}
