import * as tf from '@tensorflow/tfjs-core'
import leven from 'leven'
import type { GraphNode, WeightSpec } from '../artifacts.ts'
import type { ConvertedGraph } from '../export/convert.ts'
import { inMemoryGraphModel } from '../export/in-memory.ts'
import { serializeGraph } from '../export/serialize.ts'
import { inputStem } from '../export/stem.ts'
import { readGraph } from '../read-graph.ts'
import { type BackboneSpec, InvalidBackboneSpecError } from './backbones.ts'

/**
 * A user's backbone stored as a tfjs graph model (what tensorflowjs_converter writes from a SavedModel,
 * or Whisker's own exporter), cut at its spec's feature node. It is held as graph nodes and float32/int32
 * weights rather than as a tfjs GraphModel, because the served model is one graph written by Whisker's
 * exporter: these nodes, then pooling and the head, quantized as one.
 */
export interface GraphBackbone {
  readonly kind: 'graph'
  readonly spec: BackboneSpec
  /** Where it was loaded from, for the run report. */
  readonly from: string
  /**
   * The nodes the feature node depends on, renamed under `backbone/` (so they never collide with the
   * exporter's own names), without their input placeholder; weights dequantized when stored quantized.
   */
  readonly graph: ConvertedGraph
  /** The renamed placeholder `graph` reads the image from; spliceBackbone points it at the stem. */
  readonly input: string
  /** The renamed feature node: its output, mean-pooled over height and width, is the embedding. */
  readonly featureNode: string
  /** (batch, height, width, channels) of the feature node, measured on one image when loading. */
  readonly featureShape: readonly [null, number, number, number]
}

/** model.json of a tfjs graph model as any converter writes it (several weight groups and shards allowed). */
export interface GraphModelFile {
  format?: string
  modelTopology: { node: GraphNode[]; library?: { function?: unknown[] } }
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[]
}

/** Whether a model.json describes a graph model (else it is a layers model). */
export function isGraphModelFile(json: unknown): json is GraphModelFile {
  const file = json as Partial<GraphModelFile> | null
  return file?.format === 'graph-model' || Array.isArray(file?.modelTopology?.node)
}

export class FeatureNodeNotFoundError extends Error {
  readonly code = 'FEATURE_NODE_NOT_FOUND'
  readonly nearest: string[]
  constructor(where: string, node: string, nearest: string[]) {
    super(
      `The graph model beside ${where} has no node "${node}" (featureLayer). Nearest names: ${nearest.join(', ')}.`,
    )
    this.name = 'FeatureNodeNotFoundError'
    this.nearest = nearest
  }
}

export class UnsupportedGraphError extends Error {
  readonly code = 'UNSUPPORTED_GRAPH'
  constructor(where: string, why: string) {
    super(`Cannot use the graph model at ${where} as a backbone: ${why}.`)
    this.name = 'UnsupportedGraphError'
  }
}

const PREFIX = 'backbone/'
/** Images the loaded graph is tried on (see featureMapShape). */
const PROBE_BATCH = 2
/** Nearest node names a FEATURE_NODE_NOT_FOUND message offers. */
const NEAREST = 5

/**
 * Ops the served graph cannot hold. Whisker runs graphs with the synchronous `execute` (in the Worker, per
 * request), which tfjs refuses for control flow and for ops whose output shape depends on values; tfjs
 * keeps its own lists internal, so these mirror tfjs-converter 4.22's (executor/model_analysis), plus the
 * function-call and tensor-list ops that only appear inside loops and conditionals.
 */
const REFUSED: { ops: ReadonlySet<string>; why: string }[] = [
  {
    ops: new Set([
      ...['Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'LoopCond', 'If', 'StatelessIf'],
      ...['While', 'StatelessWhile', 'PartitionedCall', 'StatefulPartitionedCall'],
    ]),
    why: 'control flow',
  },
  {
    ops: new Set([
      'NonMaxSuppressionV2',
      'NonMaxSuppressionV3',
      'NonMaxSuppressionV4',
      'NonMaxSuppressionV5',
    ]),
    why: 'a dynamic output shape',
  },
  { ops: new Set(['Where', 'Unique', 'ListDiff', 'SparseToDense']), why: 'a dynamic output shape' },
  {
    ops: new Set(['HashTable', 'HashTableV2', 'LookupTableFind', 'LookupTableFindV2']),
    why: 'a lookup table',
  },
]

/**
 * Cuts a graph model at `spec.featureLayer`, checks that what remains is one image input → feature map of
 * `spec.featureDim` channels that tfjs executes synchronously, and measures the map's size.
 * `where` names the spec file in errors; `weights` is the shards of every group concatenated in order.
 */
export async function loadGraphBackbone(
  json: GraphModelFile,
  weights: ArrayBuffer,
  spec: BackboneSpec,
  from: string,
  where: string,
): Promise<GraphBackbone> {
  const nodes = new Map(json.modelTopology.node.map((node) => [node.name, node]))
  if (!nodes.has(spec.featureLayer)) {
    const nearest = [...nodes.keys()]
      .map((name) => ({ name, distance: leven(name, spec.featureLayer) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, NEAREST)
      .map((n) => n.name)
    throw new FeatureNodeNotFoundError(where, spec.featureLayer, nearest)
  }
  const kept = ancestors(spec.featureLayer, nodes, from)
  const placeholders = kept.filter((node) => node.op === 'Placeholder')
  if (placeholders.length === 0) {
    throw new InvalidBackboneSpecError(
      where,
      `node "${spec.featureLayer}" does not depend on the image input, so it is no feature map (featureLayer)`,
    )
  }
  if (placeholders.length > 1) {
    throw new UnsupportedGraphError(
      from,
      `node "${spec.featureLayer}" depends on ${placeholders.length} inputs (${placeholders.map((p) => p.name).join(', ') || 'none'}); a backbone takes one image`,
    )
  }
  const placeholder = placeholders[0]!
  checkInput(placeholder, spec, from, where)

  const specs = new Map(json.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, w]))
  const constants = new Set<string>()
  for (const node of kept) {
    if (node.op !== 'Const') continue
    const weight = specs.get(node.name)
    if (!weight)
      throw new UnsupportedGraphError(from, `constant "${node.name}" has no entry in the weights manifest`)
    if (weight.dtype !== 'float32' && weight.dtype !== 'int32') {
      throw new UnsupportedGraphError(
        from,
        `constant "${node.name}" is ${weight.dtype}; only float32 and int32 are supported`,
      )
    }
    constants.add(node.name)
  }
  const decoded = readGraph(json, weights)
  const rename = (ref: string) => {
    const control = ref.startsWith('^')
    const [name, output] = (control ? ref.slice(1) : ref).split(':')
    const renamed = `${PREFIX}${name}${output && !(name === placeholder.name && output === '0') ? `:${output}` : ''}`
    return control ? `^${renamed}` : renamed
  }
  const graph: ConvertedGraph = {
    nodes: kept
      .filter((node) => node !== placeholder)
      .map((node) => ({
        ...node,
        name: rename(node.name),
        ...(node.input ? { input: node.input.map(rename) } : {}),
      })),
    tensors: decoded.tensors
      .filter((t) => constants.has(t.name))
      .map((t) => ({ ...t, name: rename(t.name) })),
  }
  const partial = { graph, input: rename(placeholder.name), featureNode: rename(spec.featureLayer) }
  const shape = await featureMapShape(partial, spec, from)
  if (shape.length !== 4 || shape[3] !== spec.featureDim) {
    throw new InvalidBackboneSpecError(
      where,
      `node "${spec.featureLayer}" outputs ${JSON.stringify(shape)} for a batch of ${PROBE_BATCH} images, not a feature map of ${spec.featureDim} channels (featureDim)`,
    )
  }
  if (shape[0] !== PROBE_BATCH) {
    throw new UnsupportedGraphError(
      from,
      `node "${spec.featureLayer}" outputs ${shape[0]} rows for a batch of ${PROBE_BATCH} images: the graph fixes its batch size, and Whisker embeds photos in batches`,
    )
  }
  return { kind: 'graph', spec, from, ...partial, featureShape: [null, shape[1]!, shape[2]!, shape[3]!] }
}

/** The backbone's nodes reading their image from `input` (the stem's output) instead of the placeholder. */
export function spliceBackbone(backbone: Pick<GraphBackbone, 'graph' | 'input'>, input: string): GraphNode[] {
  const point = (ref: string) =>
    ref === backbone.input ? input : ref === `^${backbone.input}` ? `^${input}` : ref
  return backbone.graph.nodes.map((node) => (node.input ? { ...node, input: node.input.map(point) } : node))
}

/** Every node `output` depends on, inputs before the nodes that read them; refuses what tfjs cannot execute. */
function ancestors(output: string, nodes: ReadonlyMap<string, GraphNode>, from: string): GraphNode[] {
  const order: GraphNode[] = []
  const seen = new Set<string>()
  // Depth-first, post-order, with an explicit stack: a deep network would overflow the call stack.
  const stack: { name: string; expanded: boolean }[] = [{ name: output, expanded: false }]
  while (stack.length > 0) {
    const top = stack.pop()!
    const node = nodes.get(top.name)!
    if (top.expanded) {
      order.push(node)
      continue
    }
    if (seen.has(top.name)) continue
    seen.add(top.name)
    const refused = REFUSED.find((r) => r.ops.has(node.op))
    if (refused || node.op.startsWith('TensorArray') || node.op.startsWith('TensorList')) {
      throw new UnsupportedGraphError(
        from,
        `node "${node.name}" (${node.op}) needs ${refused?.why ?? 'control flow'}, which the served graph cannot hold: Whisker executes graphs synchronously, with static shapes`,
      )
    }
    stack.push({ name: top.name, expanded: true })
    for (const ref of node.input ?? []) {
      const name = ref.replace(/^\^/, '').split(':')[0]!
      if (!nodes.has(name))
        throw new UnsupportedGraphError(
          from,
          `node "${node.name}" reads "${name}", which is not in the graph`,
        )
      if (!seen.has(name)) stack.push({ name, expanded: false })
    }
  }
  return order
}

/** The placeholder must take a batch of RGB images of the spec's size (unknown dimensions are fine). */
function checkInput(placeholder: GraphNode, spec: BackboneSpec, from: string, where: string): void {
  const dtype = (placeholder.attr?.dtype as { type?: string } | undefined)?.type
  if (dtype !== undefined && dtype !== 'DT_FLOAT') {
    throw new UnsupportedGraphError(
      from,
      `its input "${placeholder.name}" is ${dtype}; Whisker feeds float32 pixels`,
    )
  }
  const shape = placeholder.attr?.shape as
    | { shape?: { dim?: { size?: string }[]; unknownRank?: boolean } }
    | undefined
  const dims = shape?.shape?.dim?.map((d) => Number(d.size ?? -1))
  if (!dims || shape?.shape?.unknownRank) return
  if (dims.length !== 4 || (dims[3]! >= 0 && dims[3] !== 3)) {
    throw new UnsupportedGraphError(
      from,
      `its input "${placeholder.name}" has shape ${JSON.stringify(dims)}, not a batch of RGB images [n, h, w, 3]`,
    )
  }
  const [, height, width] = dims
  if ((height! >= 0 && height !== spec.inputSize) || (width! >= 0 && width !== spec.inputSize)) {
    throw new InvalidBackboneSpecError(
      where,
      `the network takes ${height}×${width} inputs, not ${spec.inputSize}×${spec.inputSize} (inputSize)`,
    )
  }
}

/**
 * Runs the cut graph once on PROBE_BATCH blank images: the feature node's shape, or what tfjs says it
 * cannot run. Two images, not one, so a graph that hard-codes a batch of 1 (a Reshape to [1, …]) shows.
 */
async function featureMapShape(
  backbone: Pick<GraphBackbone, 'graph' | 'input' | 'featureNode'>,
  spec: BackboneSpec,
  from: string,
): Promise<number[]> {
  const size = spec.inputSize
  const stem = inputStem({ inputName: 'pixels', normalization: spec.normalization }, [-1, size, size, 3])
  const output = {
    name: 'features',
    op: 'Identity',
    input: [backbone.featureNode],
    attr: { T: { type: 'DT_FLOAT' } },
  }
  const nodes = [...stem.nodes, ...spliceBackbone(backbone, stem.output), output]
  try {
    const model = await inMemoryGraphModel(
      serializeGraph(nodes, [...stem.tensors, ...backbone.graph.tensors], 'none'),
    )
    try {
      return tf.tidy(
        () =>
          (model.execute({ pixels: tf.zeros([PROBE_BATCH, size, size, 3]) }, 'features') as tf.Tensor).shape,
      )
    } finally {
      model.dispose()
    }
  } catch (error) {
    throw new UnsupportedGraphError(from, `tfjs cannot execute it (${(error as Error).message})`)
  }
}
