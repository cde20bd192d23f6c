import '@tensorflow/tfjs-backend-wasm'
import type { GraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'

/** Every test runs on the wasm backend, the one the Worker and the trainer's fallback use. */
export async function useWasmBackend(): Promise<void> {
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise')
}

/** The one seeded generator (@whisker/preprocess's, the trainer's too); re-exported beside `uniform`, which draws from it. */
export { seededRandom } from '@whisker/preprocess'

/** `n` values drawn uniformly from [lo, hi). */
export function uniform(random: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * random())
}

/**
 * Loads a graph model the way any tfjs user would: inMemoryGraphModel is nothing but stock
 * `loadGraphModel` over `tf.io.fromMemory`, with no Whisker code on the path.
 */
export { inMemoryGraphModel as loadStock } from '../export/in-memory.ts'

/** Runs a graph model to one node and reads the values back. */
export async function runGraph(
  model: GraphModel,
  inputs: Record<string, tf.Tensor>,
  node: string,
): Promise<Float32Array> {
  const out = model.execute(inputs, node) as tf.Tensor
  const values = (await out.data()) as Float32Array
  out.dispose()
  return values
}

/** Runs a Layers model on `x` and reads the values back. */
export async function runLayers(model: tfl.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const out = model.predict(x) as tf.Tensor
  const values = (await out.data()) as Float32Array
  out.dispose()
  return values
}

/** The largest absolute element-wise difference; throws when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return Number.isNaN(max) ? Number.POSITIVE_INFINITY : max
}

/** Cosine similarity of two vectors: 1 when they point the same way. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! ** 2
    nb += b[i]! ** 2
  }
  return dot / Math.sqrt(na * nb)
}
