import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadStock, runGraph, useWasmBackend } from '../test-support/tf.ts'
import { autoQuantize } from './auto-quantize.ts'
import { type ConvertedGraph, convertLayersModel } from './convert.ts'
import { type SerializedGraph, serializeGraph } from './serialize.ts'

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

/** Probabilities that move by `shift` (towards class 1) for every uint8 tensor named in `costly`. */
const answers =
  (costly: readonly string[], shift = 0.05) =>
  async (graph: SerializedGraph) => {
    const moved = uint8Names(graph).filter((n) => costly.includes(n)).length * shift
    return Array.from({ length: 400 }, (_, i) => {
      const p = (i % 2 ? 0.8 : 0.3) - moved
      return new Float32Array([p, 1 - p])
    })
  }
const uint8Names = (graph: SerializedGraph) =>
  Object.entries(encodings(graph))
    .filter(([, e]) => e === 'uint8')
    .map(([name]) => name)
const flatProbe = async () => [new Float32Array([0.5, 0.5])]

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

  it('puts every tensor in uint8 when the answers never move, measuring each large tensor once', async () => {
    let probes = 0
    const result = await autoQuantize(nodes, tensors, {
      judge: answers([]),
      probe: async () => {
        probes++
        return [new Float32Array([0.5, 0.5])]
      },
      minElements: 200,
    })
    expect(probes).toBe(1 + 1) // the float16 reference, then big_a/kernel alone (4,096 values)
    expect(result.uint8Tensors).toBe(1)
    expect(result.change.meanKl).toBe(0)
    expect(encodings(result.graph)['big_a/kernel']).toBe('uint8')
    expect(encodings(result.graph)['big_b/kernel']).toBe('float16') // 128 values: under minElements
  })

  it('keeps in float16 whatever shifts the answers towards one class, even with every top class unchanged', async () => {
    const result = await autoQuantize(nodes, tensors, {
      // Each uint8 tensor moves every probability 0.05 towards class 1: no answer changes class (0.3 → 0.25,
      // 0.8 → 0.75), accuracy could not see it, but the mean log-odds move by about 0.25.
      judge: answers(['big_a/kernel', 'big_a/bias', 'big_b/kernel']),
      probe: flatProbe,
      minElements: 16,
    })
    expect(result.uint8Tensors).toBe(0)
    expect(result.change.meanLogOddsShift).toBe(0)
    expect(Object.values(encodings(result.graph))).not.toContain('uint8')
    expect(Object.values(encodings(result.graph))).toContain('float16')
  })

  it('falls back to float32 when even float16 moves the answers beyond the budget', async () => {
    const result = await autoQuantize(nodes, tensors, {
      judge: async (graph) =>
        Object.values(encodings(graph)).includes('float16')
          ? [new Float32Array([0.4, 0.6])]
          : [new Float32Array([0.6, 0.4])],
      probe: flatProbe,
    })
    expect(Object.values(encodings(result.graph)).every((e) => e === 'none')).toBe(true)
    expect([result.uint8Tensors, result.float16Tensors]).toEqual([0, 0])
    expect(result.float16Change?.agreement).toBe(0)
  })

  it('ranks tensors by how far quantizing them alone moves the probe probabilities, judging real graphs', async () => {
    const probeInput = tf.randomUniform([8, 64], 0, 1, 'float32', 3)
    const run = async (graph: SerializedGraph) => {
      const m = await loadStock(graph)
      const flat = await runGraph(m, { x: probeInput }, 'p')
      m.dispose()
      return Array.from({ length: 8 }, (_, i) => flat.slice(i * 2, i * 2 + 2))
    }
    const result = await autoQuantize(nodes, tensors, {
      judge: run,
      probe: run,
      budget: { maxMeanKl: 1, maxAbsLogOddsShift: 10, minAgreement: 0 },
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

    it('takes it after one judgement when it still keeps the answers within budget', async () => {
      let probes = 0
      let judged = 0
      const result = await autoQuantize(nodes, tensors, {
        reference: await answers([])(serializeGraph(nodes, tensors, 'none')),
        judge: async (graph) => {
          judged++
          return answers([])(graph)
        },
        probe: async () => {
          probes++
          return [new Float32Array([0.5, 0.5])]
        },
        minElements: 16,
        previous: earlier,
      })
      expect(result.reusedPrevious).toBe(true)
      expect([probes, judged, result.evaluations]).toEqual([0, 1, 1])
      expect(uint8Names(result.graph)).toEqual(['big_a/kernel'])
      expect(result.choice).toEqual(earlier)
    })

    it('searches afresh when the earlier choice now moves the answers too far', async () => {
      const result = await autoQuantize(nodes, tensors, {
        judge: answers(['big_a/kernel']),
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
      const result = await autoQuantize(nodes, tensors, {
        judge: answers([]),
        probe: flatProbe,
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
      expect(result.evaluations).toBeGreaterThan(2)
    })

    it('also tries this graph’s new tensors in uint8, and keeps them when the answers allow', async () => {
      const asked: string[][] = []
      const judge = (costly: string) => async (graph: SerializedGraph) => {
        asked.push(uint8Names(graph))
        return answers([costly])(graph)
      }
      // big_b/kernel is new (a wider head, say): the earlier search never decided it.
      const previous = { uint8: earlier.uint8, float16: [earlier.float16[0]!] }
      const options = { minElements: 16, previous, probe: flatProbe }
      const reference = await answers([])(serializeGraph(nodes, tensors, 'none'))

      const cheap = await autoQuantize(nodes, tensors, { ...options, reference, judge: judge('none') })
      expect(uint8Names(cheap.graph).sort()).toEqual(['big_a/kernel', 'big_b/kernel'])
      expect(cheap.evaluations).toBe(1)

      asked.length = 0
      const costly = await autoQuantize(nodes, tensors, {
        ...options,
        reference,
        judge: judge('big_b/kernel'),
      })
      expect(asked).toEqual([['big_a/kernel', 'big_b/kernel'], ['big_a/kernel']])
      expect(uint8Names(costly.graph)).toEqual(['big_a/kernel'])
      expect(costly.reusedPrevious).toBe(true)
    })
  })
})
