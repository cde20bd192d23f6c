import * as tfl from '@tensorflow/tfjs-layers'
import { type Embedder, graphEmbedder } from './embedder.ts'
import type { LoadedBackbone } from './load-backbone.ts'

/**
 * A backbone cut in two for fine-tuning: a frozen `trunk`, run once in inference mode, and a trainable
 * `top` that continues from the trunk's output. Running the whole backbone under the gradient tape at a
 * useful batch size exceeds the wasm backend's 4 GiB heap; running only the top does not.
 *
 * `top` re-applies the backbone's own layer objects, so it shares their weights: training `top` updates
 * the backbone in place, and `assembleTransferModel(backbone, head)` afterwards exports the fine-tuned
 * network with nothing copied back.
 */
export interface BackboneSplit {
  /** The backbone's input → the one tensor that crosses the cut. */
  trunk: tfl.LayersModel
  /** The crossing tensor → the backbone's output, through the backbone's own layers. */
  top: tfl.LayersModel
  /** Name of the first unfrozen layer. */
  cut: string
  /** Parameters that training `top` changes (BatchNorm moving statistics are not trainable). */
  trainableParameters: number
}

export class InvalidFineTuneDepthError extends Error {
  readonly code = 'INVALID_FINE_TUNE_DEPTH'
  readonly depth: number
  /** The closest valid depths below and above `depth` (just one when the other does not exist). */
  readonly nearest: number[]
  constructor(depth: number, reason: string, nearest: { depth: number; layer: string }[]) {
    const options = nearest.map((n) => `${n.depth} (from ${n.layer})`).join(' or ')
    super(`Cannot fine-tune the top ${depth} layers: ${reason}. Nearest valid depths: ${options}.`)
    this.name = 'InvalidFineTuneDepthError'
    this.depth = depth
    this.nearest = nearest.map((n) => n.depth)
  }
}

/**
 * The depths `splitBackbone` accepts, ascending. A depth counts entries of `model.layers` from the end,
 * as Keras' `model.layers[-N:]` does (the InputLayer is entry 0, so the largest depth unfreezes every
 * layer). A depth is valid when exactly one tensor crosses the cut: cuts inside a residual block, where
 * the skip connection also crosses, are not.
 */
export function fineTuneDepths(model: tfl.LayersModel): number[] {
  return validDepths(backboneGraph(model))
}

/** Cuts `model` before its top `unfreeze` layers; throws InvalidFineTuneDepthError naming valid depths. */
export function splitBackbone(model: tfl.LayersModel, unfreeze: number): BackboneSplit {
  const graph = backboneGraph(model)
  assertDepth(graph, unfreeze)
  const first = graph.layers.length - unfreeze
  // Some backbone files freeze every layer (mobilenet_v2_1.0 says `trainable: false` throughout); the top is
  // what the caller asked to train, whatever the file says.
  for (const layer of graph.layers.slice(first)) layer.trainable = true
  const [cut] = crossing(graph, first)
  const topInput = tfl.input({ shape: cut!.shape.slice(1) as number[] })
  const top = tfl.model({ inputs: topInput, outputs: reapply(graph, first, cut!, topInput) })
  return {
    trunk: tfl.model({ inputs: model.inputs, outputs: cut! }),
    top,
    cut: graph.layers[first]!.name,
    trainableParameters: top.trainableWeights.reduce((n, w) => n + size(w.shape as number[]), 0),
  }
}

/**
 * The frozen trunk as an Embedder: pixels in [0, 255] → one row of trunk output (h × w × c) per image. Like
 * `createEmbedder` it runs the exported float32 graph: about three times as fast as `trunk.predict` on wasm, and
 * the numbers the served model computes. Run it once over every photo; the trunk never changes, so each
 * fine-tuning epoch then costs only the top.
 */
export function createTrunkEmbedder(backbone: LoadedBackbone, split: BackboneSplit): Promise<Embedder> {
  return graphEmbedder(split.trunk, backbone)
}

/** The backbone's tensors in `model.layers` order, each tagged with the position of the layer that made it. */
interface BackboneGraph {
  layers: tfl.layers.Layer[]
  tensors: tfl.SymbolicTensor[]
  position: Map<tfl.SymbolicTensor, number>
  output: tfl.SymbolicTensor
}

/**
 * Walks this model's own tensors back from its output. Following tensors rather than `layer.inboundNodes`
 * matters: every split re-applies layers, adding inbound nodes that belong to other models.
 */
function backboneGraph(model: tfl.LayersModel): BackboneGraph {
  if (model.outputs.length !== 1 || model.inputs.length !== 1)
    throw new Error(`Fine-tuning needs a single-input, single-output backbone; ${model.name} is not.`)
  const layerPosition = new Map(model.layers.map((layer, i) => [layer, i]))
  const position = new Map<tfl.SymbolicTensor, number>()
  const pending = [model.outputs[0]!]
  while (pending.length > 0) {
    const tensor = pending.pop()!
    if (position.has(tensor)) continue
    position.set(tensor, layerPosition.get(tensor.sourceLayer)!)
    pending.push(...tensor.inputs)
  }
  const tensors = [...position.keys()].sort((a, b) => position.get(a)! - position.get(b)!)
  return { layers: model.layers, tensors, position, output: model.outputs[0]! }
}

/** The trunk tensors (made before layer `first`) that the top reads. */
function crossing(graph: BackboneGraph, first: number): tfl.SymbolicTensor[] {
  const inTrunk = (t: tfl.SymbolicTensor) => graph.position.get(t)! < first
  const read = graph.tensors.filter((t) => !inTrunk(t)).flatMap((t) => t.inputs.filter(inTrunk))
  return [...new Set(read)]
}

/** Calls the top's layers again, in order, on `input` in place of `cut`: same layer objects, same weights. */
function reapply(
  graph: BackboneGraph,
  first: number,
  cut: tfl.SymbolicTensor,
  input: tfl.SymbolicTensor,
): tfl.SymbolicTensor {
  const mapped = new Map([[cut, input]])
  // A layer call with several outputs is seen once per output tensor; it must run once.
  const calls = new Map<string, tfl.SymbolicTensor[]>()
  for (const tensor of graph.tensors.filter((t) => graph.position.get(t)! >= first)) {
    const call = `${tensor.sourceLayer.name}#${tensor.nodeIndex}`
    if (!calls.has(call)) {
      const inputs = tensor.inputs.map((t) => mapped.get(t)!)
      const outputs = tensor.sourceLayer.apply(inputs.length === 1 ? inputs[0]! : inputs, tensor.callArgs)
      calls.set(call, (Array.isArray(outputs) ? outputs : [outputs]) as tfl.SymbolicTensor[])
    }
    mapped.set(tensor, calls.get(call)![tensor.tensorIndex]!)
  }
  return mapped.get(graph.output)!
}

function validDepths(graph: BackboneGraph): number[] {
  const depths: number[] = []
  for (let depth = 1; depth < graph.layers.length; depth++) {
    if (crossing(graph, graph.layers.length - depth).length === 1) depths.push(depth)
  }
  return depths
}

function assertDepth(graph: BackboneGraph, depth: number): void {
  const valid = validDepths(graph)
  if (valid.includes(depth)) return
  const count = graph.layers.length
  // A depth that is not a number has no neighbours: name both ends of the range instead.
  const [below, above] = Number.isNaN(depth)
    ? [valid[0], valid.at(-1)]
    : [valid.filter((d) => d < depth).at(-1), valid.find((d) => d > depth)]
  const nearest = [below, above]
    .filter((d): d is number => d !== undefined)
    .map((d) => ({ depth: d, layer: graph.layers[count - d]!.name }))
  const reason =
    Number.isInteger(depth) && depth >= 1 && depth < count
      ? `a skip connection spans the cut before ${graph.layers[count - depth]!.name}, so more than one tensor crosses it`
      : `a depth is a whole number from 1 to ${count - 1} (${count} layers, counting the input)`
  throw new InvalidFineTuneDepthError(depth, reason, nearest)
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
