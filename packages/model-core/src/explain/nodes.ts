import { fusedOps, type GraphNode, VIEWS_MEAN } from '../artifacts.ts'
import type { ExplainSpec } from '../card.ts'

/** Which graph nodes a heatmap is computed from: the card's `explain` without the grid. */
export type ExplainNodes = Omit<ExplainSpec, 'grid'>

/** Ops that may sit between the pooled (or flattened) feature map and the class scores. */
const HEAD_OPS = new Set([
  '_FusedMatMul',
  'MatMul',
  'BiasAdd',
  'Add',
  'AddV2',
  'Mul',
  'Relu',
  'Relu6',
  'LeakyRelu',
  'Elu',
  'Sigmoid',
  'Identity',
])
const ACTIVATIONS = new Set(['Relu', 'Relu6', 'LeakyRelu', 'Elu', 'Sigmoid'])

/**
 * Finds the nodes Grad-CAM needs in a classifier graph, for cards written before `explain` existed and
 * for the trainer, which records the answer in the card. From the output it steps over `Identity` and
 * the final `Softmax` (the score is the logits before it, as Grad-CAM prescribes), then walks back
 * through the dense head to the node that turns a feature map into a vector: global average pooling
 * (`Mean`) or `Reshape` (Flatten). The feature map is that node's input. `cam` when the head is pooling
 * plus one linear layer (there Grad-CAM is exactly CAM), `grad-cam` otherwise. Undefined when the graph
 * has no such shape.
 */
export function findExplainNodes(nodes: readonly GraphNode[], output: string): ExplainNodes | undefined {
  const byName = new Map(nodes.map((node) => [node.name, node]))
  const inputOf = (node: GraphNode) => byName.get(nodeName(node.input?.[0] ?? ''))
  let node = byName.get(output)
  while (node?.op === 'Identity') node = inputOf(node)
  if (node?.op === 'Softmax') node = inputOf(node)
  if (!node) return undefined
  const scoreNode = node.name
  let linearLayers = 0
  let nonLinear = false
  while (node) {
    // Mirror views (flip test-time augmentation): step over the mean of the two views and its reshape.
    if (node.op === 'Mean' && node.name.endsWith(VIEWS_MEAN)) {
      node = inputOf(inputOf(node) ?? node)
      continue
    }
    if (node.op === 'Mean' || node.op === 'Reshape') {
      const featureNode = nodeName(node.input?.[0] ?? '')
      if (!featureNode || linearLayers === 0) return undefined
      const cam = node.op === 'Mean' && linearLayers === 1 && !nonLinear
      return { method: cam ? 'cam' : 'grad-cam', featureNode, scoreNode }
    }
    if (!HEAD_OPS.has(node.op)) return undefined
    if (node.op === 'MatMul' || node.op === '_FusedMatMul') linearLayers++
    if (ACTIVATIONS.has(node.op) || fusedActivation(node)) nonLinear = true
    node = inputOf(node)
  }
  return undefined
}

/** `name:0` and `^name` both refer to node `name`. */
function nodeName(input: string): string {
  return input.replace(/^\^/, '').replace(/:\d+$/, '')
}

/** Whether a `_FusedMatMul` applies an activation after its bias (`fused_ops` are base64 in proto-JSON). */
function fusedActivation(node: GraphNode): boolean {
  return node.op === '_FusedMatMul' && fusedOps(node).some((op) => op !== 'BiasAdd')
}
