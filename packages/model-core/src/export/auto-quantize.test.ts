import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadStock, runGraph, useWasmBackend } from '../test-support/tf.ts'
import { autoQuantize } from './auto-quantize.ts'
import { type ConvertedGraph, convertLayersModel } from './convert.ts'
import type { SerializedGraph } from './serialize.ts'

beforeAll(useWasmBackend)

/** A small dense model whose big kernels tolerate uint8 and whose tiny tensors don't matter. */
function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [64] })
  const hidden = tfl.layers.dense({ units: 64, activation: 'relu', name: 'big_a' }).apply(input)
  const out = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'big_b' }).apply(hidden)
  return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor })
}

const encodings = (graph: SerializedGraph) =>
  Object.fromEntries(
    graph.modelJson.weightsManifest[0].weights.map((w) => [w.name, w.quantization?.dtype ?? 'none']),
  )

describe('autoQuantize', () => {
  let nodes: ConvertedGraph['nodes'] = []
  let tensors: ConvertedGraph['tensors'] = []
  beforeAll(() => {
    ;({ nodes, tensors } = convertLayersModel(model(), {
      inputName: 'x',
      outputName: 'p',
      normalization: { scale: 1, offset: 0 },
    }))
  })

  it('puts every tensor in uint8 when accuracy never drops, measuring each large tensor once', async () => {
    let probes = 0
    const result = await autoQuantize(nodes, tensors, {
      maxAccuracyDrop: 0.002,
      evaluate: async () => 0.9,
      probe: async () => {
        probes++
        return [new Float32Array([0.5, 0.5])]
      },
      minElements: 200,
    })
    expect(probes).toBe(1 + 1) // the float16 reference, then big_a/kernel alone (4,096 values)
    expect(result.uint8Tensors).toBe(1)
    expect(encodings(result.graph)['big_a/kernel']).toBe('uint8')
    expect(encodings(result.graph)['big_b/kernel']).toBe('float16') // 128 values: under minElements
  })

  it('keeps in float16 whatever would cost more than the allowed accuracy drop', async () => {
    const uint8Count = (graph: SerializedGraph) =>
      Object.values(encodings(graph)).filter((e) => e === 'uint8').length
    const result = await autoQuantize(nodes, tensors, {
      maxAccuracyDrop: 0.002,
      // Any uint8 tensor costs a point of accuracy: nothing may be quantized.
      evaluate: async (graph) => 0.9 - 0.01 * uint8Count(graph),
      probe: async () => [new Float32Array([0.5, 0.5])],
      minElements: 16,
    })
    expect(result.uint8Tensors).toBe(0)
    expect(result.accuracy).toBe(0.9)
    expect(Object.values(encodings(result.graph))).not.toContain('uint8')
  })

  it('ranks tensors by how far quantizing them alone moves the probe probabilities', async () => {
    const probeInput = tf.randomUniform([8, 64], 0, 1, 'float32', 3)
    const run = async (graph: SerializedGraph) => {
      const m = await loadStock(graph)
      const flat = await runGraph(m, { x: probeInput }, 'p')
      m.dispose()
      return Array.from({ length: 8 }, (_, i) => flat.slice(i * 2, i * 2 + 2))
    }
    const result = await autoQuantize(nodes, tensors, {
      maxAccuracyDrop: 0.002,
      evaluate: async () => 1,
      probe: run,
      minElements: 16,
    })
    expect(result.uint8Tensors).toBe(3) // both kernels and the hidden bias pass; the graph runs quantized
    expect(result.evaluations).toBeGreaterThan(1)
    probeInput.dispose()
  })

  describe('given the choice of an earlier search', () => {
    /** big_a/kernel in uint8; big_a/bias and big_b/kernel (the candidates at minElements 16) in float16. */
    const earlier = {
      uint8: [{ name: 'big_a/kernel', shape: [64, 64] }],
      float16: [
        { name: 'big_a/bias', shape: [64] },
        { name: 'big_b/kernel', shape: [64, 2] },
      ],
    }
    const uint8Names = (graph: SerializedGraph) =>
      Object.entries(encodings(graph))
        .filter(([, e]) => e === 'uint8')
        .map(([name]) => name)

    it('takes it after one evaluation when it still keeps accuracy within budget', async () => {
      let probes = 0
      let evaluations = 0
      const result = await autoQuantize(nodes, tensors, {
        maxAccuracyDrop: 0.002,
        referenceAccuracy: 0.9,
        evaluate: async () => {
          evaluations++
          return 0.9
        },
        probe: async () => {
          probes++
          return [new Float32Array([0.5, 0.5])]
        },
        minElements: 16,
        previous: earlier,
      })
      expect(result.reusedPrevious).toBe(true)
      expect([probes, evaluations, result.evaluations]).toEqual([0, 1, 1])
      expect(uint8Names(result.graph)).toEqual(['big_a/kernel'])
      expect(result.choice).toEqual(earlier)
    })

    it('searches afresh when the earlier choice now costs too much', async () => {
      const result = await autoQuantize(nodes, tensors, {
        maxAccuracyDrop: 0.002,
        referenceAccuracy: 0.9,
        // big_a/kernel in uint8 now costs a point; the others are free.
        evaluate: async (graph) => (uint8Names(graph).includes('big_a/kernel') ? 0.89 : 0.9),
        probe: async (graph) =>
          uint8Names(graph).includes('big_a/kernel')
            ? [new Float32Array([0.9, 0.1])]
            : [new Float32Array([0.5, 0.5])],
        minElements: 16,
        previous: earlier,
      })
      expect(result.reusedPrevious).toBe(false)
      expect(uint8Names(result.graph)).not.toContain('big_a/kernel')
      expect(result.uint8Tensors).toBeGreaterThan(0)
    })

    it('ignores tensors that are gone or changed shape', async () => {
      let evaluations = 0
      const result = await autoQuantize(nodes, tensors, {
        maxAccuracyDrop: 0.002,
        referenceAccuracy: 0.9,
        evaluate: async () => {
          evaluations++
          return 0.9
        },
        probe: async () => [new Float32Array([0.5, 0.5])],
        minElements: 16,
        previous: {
          uint8: [
            { name: 'big_a/kernel', shape: [32, 64] },
            { name: 'gone/kernel', shape: [4, 4] },
          ],
          float16: [],
        },
      })
      expect(result.reusedPrevious).toBe(false)
      expect(evaluations).toBeGreaterThan(1)
    })

    it('also tries this graph’s new tensors in uint8, and keeps them when accuracy allows', async () => {
      const asked: string[][] = []
      const evaluate = (costly: string) => async (graph: SerializedGraph) => {
        asked.push(uint8Names(graph))
        return uint8Names(graph).includes(costly) ? 0.89 : 0.9
      }
      // big_b/kernel is new (a wider head, say): the earlier search never decided it.
      const previous = { uint8: earlier.uint8, float16: [earlier.float16[0]!] }
      const options = { maxAccuracyDrop: 0.002, referenceAccuracy: 0.9, minElements: 16, previous }
      const probe = async () => [new Float32Array([0.5, 0.5])]

      const cheap = await autoQuantize(nodes, tensors, { ...options, probe, evaluate: evaluate('none') })
      expect(uint8Names(cheap.graph).sort()).toEqual(['big_a/kernel', 'big_b/kernel'])
      expect(cheap.evaluations).toBe(1)

      asked.length = 0
      const costly = await autoQuantize(nodes, tensors, {
        ...options,
        probe,
        evaluate: evaluate('big_b/kernel'),
      })
      expect(asked).toEqual([['big_a/kernel', 'big_b/kernel'], ['big_a/kernel']])
      expect(uint8Names(costly.graph)).toEqual(['big_a/kernel'])
      expect(costly.reusedPrevious).toBe(true)
    })
  })
})
