import type { ModelCard } from './card.ts'

/** One weight tensor as listed in a tfjs weights manifest. */
export interface WeightSpec {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
  quantization?: { dtype: 'uint8'; scale: number; min: number } | { dtype: 'float16' }
}

/** `model.json` of a tfjs graph model, as Whisker writes it (one weights file). */
export interface GraphModelJson {
  format: 'graph-model'
  generatedBy: string
  convertedBy: string
  modelTopology: { node: GraphNode[]; library: Record<string, never>; versions: { producer: number } }
  weightsManifest: [{ paths: [string]; weights: WeightSpec[] }]
}

/** A GraphDef node in its JSON form (attr values use TensorFlow's proto-JSON encoding). */
export interface GraphNode {
  name: string
  op: string
  input?: string[]
  attr?: Record<string, unknown>
}

/** A named tensor of a graph's weights, as the exporter writes it and a runtime reads it back. */
export interface NamedTensor {
  name: string
  shape: number[]
  dtype: 'float32' | 'int32'
  data: Float32Array | Int32Array
}

/** A graph's nodes with its weights decoded: what the exporter's passes and the runtime's folding work on. */
export interface TensorGraph {
  nodes: GraphNode[]
  tensors: NamedTensor[]
}

/** Everything a runtime needs to serve a model, held in memory: no fetch on the request path. */
export interface ModelArtifacts {
  modelJson: GraphModelJson
  weights: ArrayBuffer
  card: ModelCard
}

/** File names of a model directory: what the trainer writes and what the Worker bundles. */
export const MODEL_FILES = { graph: 'model.json', weights: 'weights.bin', card: 'card.json' } as const

/** The ops a fused node applies after its main op (`fused_ops`, base64 strings in proto-JSON); [] if unreadable. */
export function fusedOps(node: GraphNode): string[] {
  const list = (node.attr?.fused_ops as { list?: { s?: string[] } } | undefined)?.list?.s ?? []
  try {
    return list.map((s) => atob(s))
  } catch {
    return ['?']
  }
}

/** `fused_ops` in proto-JSON: the inverse of fusedOps. */
export function fusedOpsAttr(ops: readonly string[]): { list: { s: string[] } } {
  return { list: { s: ops.map((op) => btoa(op)) } }
}

/** Name suffix of the node that averages a photo's two views (mirror views): readers of the graph step over it. */
export const VIEWS_MEAN = '/views_mean'
