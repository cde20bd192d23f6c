import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { useWasmBackend } from '../test-support/tf.ts'
import { setDropoutStep, steppedDropout } from './dropout.ts'

beforeAll(useWasmBackend)

/** The units a training call keeps (non-zero outputs) for an all-ones input. */
function kept(layer: tfl.layers.Layer): number[] {
  const out = tf.tidy(() => layer.apply(tf.ones([1, 64]), { training: true }) as tf.Tensor)
  const values = Array.from(out.dataSync())
  out.dispose()
  return values.flatMap((v, i) => (v > 0 ? [i] : []))
}

describe('steppedDropout', () => {
  it('drops other units at each training step, where a seeded tfjs Dropout repeats its mask', () => {
    const fixed = tfl.layers.dropout({ rate: 0.5, seed: 7 })
    expect(kept(fixed)).toEqual(kept(fixed))
    const stepped = steppedDropout({ rate: 0.5, seed: 7 })
    expect(kept(stepped)).not.toEqual(kept(stepped))
  })

  it('draws the same sequence of masks from the same seed, and resumes it at a given step', () => {
    const a = steppedDropout({ rate: 0.5, seed: 3 })
    const b = steppedDropout({ rate: 0.5, seed: 3 })
    const sequence = [kept(a), kept(a), kept(a)]
    expect([kept(b), kept(b), kept(b)]).toEqual(sequence)

    const layer = steppedDropout({ rate: 0.5, seed: 3 })
    const input = tfl.input({ shape: [64] })
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor })
    setDropoutStep(model, 2)
    expect(kept(layer)).toEqual(sequence[2])
  })

  it('passes inputs through untouched outside training, without advancing its masks', () => {
    const layer = steppedDropout({ rate: 0.5, seed: 3 })
    const twin = steppedDropout({ rate: 0.5, seed: 3 })
    const out = layer.apply(tf.ones([1, 8])) as tf.Tensor
    expect(Array.from(out.dataSync())).toEqual(new Array(8).fill(1))
    expect(kept(layer)).toEqual(kept(twin))
  })

  it('is still a plain Dropout to serialization and export', () => {
    const layer = steppedDropout({ rate: 0.25, seed: 9, name: 'drop' })
    expect(layer.getClassName()).toBe('Dropout')
    expect(layer.getConfig()).toMatchObject({ rate: 0.25, name: 'drop' })
  })
})
