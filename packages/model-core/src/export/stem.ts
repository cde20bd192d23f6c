import type { ConvertedGraph, ConvertOptions } from './convert.ts'
import { attr, constNode, placeholderNode } from './graph-def.ts'

/**
 * The graph's entrance, the same for every network Whisker serves or embeds through: the input placeholder
 * (RGB pixels in [0, 255]), the backbone's scaling x · scale + offset, and — with mirrorViews — the
 * left–right mirror of every input stacked after the inputs (one batch of 2n). One place, so a Layers
 * backbone and a user's graph backbone see bit-identical inputs.
 */
export function inputStem(
  options: Pick<ConvertOptions, 'inputName' | 'normalization' | 'mirrorViews'>,
  shape: readonly number[],
): ConvertedGraph & { output: string } {
  const { inputName, normalization } = options
  const graph: ConvertedGraph = { nodes: [placeholderNode(inputName, shape)], tensors: [] }
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array) => {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32'
    graph.nodes.push(constNode(name, shape, dtype))
    graph.tensors.push({ name, shape, dtype, data })
    return name
  }
  const op = (name: string, op: string, input: string[], extra: Record<string, unknown> = {}) => {
    graph.nodes.push({ name, op, input, attr: { T: attr.float(), ...extra } })
    return name
  }
  const scale = constant(`${inputName}/scale`, [], new Float32Array([normalization.scale]))
  const offset = constant(`${inputName}/offset`, [], new Float32Array([normalization.offset]))
  const scaled = op(`${inputName}/scaled`, 'Mul', [inputName, scale])
  const normalized = op(`${inputName}/normalized`, 'AddV2', [scaled, offset])
  if (!options.mirrorViews) return { ...graph, output: normalized }
  const widthAxis = constant(`${inputName}/width_axis`, [1], new Int32Array([2]))
  const mirrored = op(`${inputName}/mirrored`, 'ReverseV2', [normalized, widthAxis], { Tidx: attr.int32() })
  const batchAxis = constant(`${inputName}/batch_axis`, [], new Int32Array([0]))
  const views = op(`${inputName}/views`, 'ConcatV2', [normalized, mirrored, batchAxis], {
    N: attr.int(2),
    Tidx: attr.int32(),
  })
  return { ...graph, output: views }
}
