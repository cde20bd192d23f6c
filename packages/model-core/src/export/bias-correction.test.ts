import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GraphNode } from '../artifacts.ts'
import { loadStock, runGraph, useWasmBackend } from '../test-support/tf.ts'
import { autoQuantize } from './auto-quantize.ts'
import { correctBias, meanLogitShift, outputBiasName } from './bias-correction.ts'
import { type ConvertedGraph, convertLayersModel } from './convert.ts'
import { type SerializedGraph, serializeGraph } from './serialize.ts'

beforeAll(useWasmBackend)

const softmax = (logits: readonly number[]) => {
  const top = Math.max(...logits)
  const e = logits.map((z) => Math.exp(z - top))
  const sum = e.reduce((a, b) => a + b, 0)
  return Float32Array.from(e, (v) => v / sum)
}

/** Three classes, logits spread so that no answer is saturated. */
const LOGITS = Array.from({ length: 50 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7), 0.3 * (i % 5) - 0.6])

describe('outputBiasName', () => {
  const node = (name: string, op: string, input: string[] = []): GraphNode => ({ name, op, input })

  it('finds the bias of the dense layer the one softmax reads', () => {
    const nodes = [
      node('x', 'Placeholder'),
      node('d/kernel', 'Const'),
      node('d/bias', 'Const'),
      node('d/logits', '_FusedMatMul', ['x', 'd/kernel', 'd/bias']),
      node('d', 'Softmax', ['d/logits']),
      node('p', 'Identity', ['d']),
    ]
    expect(outputBiasName(nodes)).toBe('d/bias')
  })

  it('finds a BiasAdd’s bias too', () => {
    const nodes = [
      node('x', 'Placeholder'),
      node('b', 'Const'),
      node('z', 'BiasAdd', ['x', 'b']),
      node('p', 'Softmax', ['z']),
    ]
    expect(outputBiasName(nodes)).toBe('b')
  })

  it('answers undefined when there is no single softmax over biased logits', () => {
    const unbiased = [node('x', 'Placeholder'), node('p', 'Softmax', ['x'])]
    const two = [...unbiased, node('q', 'Softmax', ['x'])]
    expect(outputBiasName(unbiased)).toBeUndefined()
    expect(outputBiasName(two)).toBeUndefined()
  })
})

describe('meanLogitShift', () => {
  it('recovers a constant logit offset, less its mean over the classes', () => {
    const offset = [0.12, -0.05, 0.02]
    const reference = LOGITS.map(softmax)
    const shifted = LOGITS.map((z) => softmax(z.map((v, c) => v + offset[c]!)))
    const shift = meanLogitShift(reference, shifted)
    const mean = (offset[0]! + offset[1]! + offset[2]!) / 3
    offset.forEach((o, c) => {
      expect(shift[c]).toBeCloseTo(o - mean, 5)
    })
  })

  it('is zero for the same answers, and refuses answers to different inputs', () => {
    const reference = LOGITS.map(softmax)
    expect(Array.from(meanLogitShift(reference, reference))).toEqual([0, 0, 0])
    expect(() => meanLogitShift(reference, reference.slice(1))).toThrow(RangeError)
  })
})

describe('bias correction of a real graph', () => {
  let graph: ConvertedGraph
  const input = () => tf.randomUniform([64, 16], -1, 1, 'float32', 7)
  const answers = async (serialized: SerializedGraph, offset = 0): Promise<Float32Array[]> => {
    const x = input()
    const m = await loadStock(serialized)
    const flat = await runGraph(m, { x }, 'p')
    m.dispose()
    x.dispose()
    // `offset` moves every answer's class-0 logit, as a shared quantization error would.
    return Array.from({ length: 64 }, (_, i) => {
      const p = flat.slice(i * 2, i * 2 + 2)
      const z0 = Math.log(p[0]! / p[1]!) + offset
      return softmax([z0, 0])
    })
  }
  beforeAll(() => {
    const x = tfl.input({ shape: [16] })
    const hidden = tfl.layers.dense({ units: 32, activation: 'relu', name: 'a' }).apply(x)
    const out = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'b' }).apply(hidden)
    const model = tfl.model({ inputs: x, outputs: out as tfl.SymbolicTensor })
    graph = convertLayersModel(model, {
      inputName: 'x',
      outputName: 'p',
      normalization: { scale: 1, offset: 0 },
    })
    model.dispose()
  })
  afterAll(() => {
    tf.disposeVariables()
  })

  it('takes a measured shift back out of the bias: the answers return to the reference', async () => {
    const name = outputBiasName(graph.nodes)
    expect(name).toBe('b/bias')
    const reference = await answers(serializeGraph(graph.nodes, graph.tensors, 'none'))
    const shifted = await answers(serializeGraph(graph.nodes, graph.tensors, 'none'), 0.2)
    const shift = meanLogitShift(reference, shifted)
    expect(shift[0]! - shift[1]!).toBeCloseTo(0.2, 4)
    const fixed = await answers(
      serializeGraph(graph.nodes, correctBias(graph.tensors, name!, shift), 'none'),
      0.2,
    )
    fixed.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(reference[i]![0]!, 5)
    })
  })

  it('autoQuantize keeps the corrected graph when a shared shift moved every answer', async () => {
    // Every graph with a uint8 tensor answers 0.04 log-odds towards class 0: a shared error within budget.
    const judge = async (serialized: SerializedGraph) => {
      const uint8 = serialized.modelJson.weightsManifest[0].weights.some(
        (w) => w.quantization?.dtype === 'uint8',
      )
      return answers(serialized, uint8 ? 0.04 : 0)
    }
    const result = await autoQuantize(graph.nodes, graph.tensors, {
      judge,
      probe: judge,
      budget: { maxMeanKl: 1, maxAbsLogOddsShift: 0.1, minAgreement: 0 },
      minElements: 16,
    })
    expect(result.uint8Tensors).toBeGreaterThan(0)
    expect(Math.abs(result.change.meanLogOddsShift)).toBeLessThan(0.005)
  })

  it('leaves a graph without a shared shift as it was, at no extra judgement', async () => {
    const judge = (serialized: SerializedGraph) => answers(serialized)
    const result = await autoQuantize(graph.nodes, graph.tensors, {
      judge,
      probe: judge,
      budget: { maxMeanKl: 1, maxAbsLogOddsShift: 10, minAgreement: 0 },
      minElements: 1_000_000,
    })
    // Nothing is large enough for uint8: float16's rounding shifts nothing worth a judgement.
    expect([result.uint8Tensors, result.evaluations]).toEqual([0, 1])
  })
})
