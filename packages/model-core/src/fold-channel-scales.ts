import { fusedOps, fusedOpsAttr, type GraphNode, type NamedTensor, type TensorGraph } from './artifacts.ts'

/** Convolutions whose output channels a constant vector can be folded into (kernel input 1, bias input 2). */
const CONVOLUTIONS = new Set(['_FusedConv2D', 'FusedDepthwiseConv2dNative'])

/** Activations tfjs-converter runs fused into those convolutions (its `fused_ops` after BiasAdd). */
const FUSABLE_ACTIVATIONS = new Set(['Relu', 'Relu6', 'Elu', 'LeakyRelu', 'Sigmoid'])

/** Whether a graph has a `Mul` reading a convolution, the shape of a per-channel scale (checked on nodes alone). */
export function hasChannelScales(nodes: readonly GraphNode[]): boolean {
  const convolutions = new Set(nodes.filter((n) => CONVOLUTIONS.has(n.op)).map((n) => n.name))
  return nodes.some((n) => n.op === 'Mul' && convolutions.has(n.input?.[0] ?? ''))
}

/**
 * The runtime half of per-channel uint8 (export/per-channel.ts): on disk a kernel is stored as integers and
 * the graph multiplies its convolution's output by one scale per channel, then applies the activation
 * the scale does not commute with. That is what keeps the upload small, but run as written it costs two
 * extra passes over every such activation map (the `Mul` and the separate activation: 47 ops in the fast
 * preset, ≈ 1 ms of the Worker's CPU a photo). Once tfjs has dequantized the weights to float32, nothing
 * requires the split any more: conv(x, K)·s + b·s = conv(x, K·s) + b·s. So, before the graph is loaded,
 * each `conv → Mul(per-channel constant) → activation?` chain becomes one fused convolution again, under
 * the chain's last name, so every reader of the graph (the next layer, the heatmap's feature node, the
 * output) sees the same names. A chain anything else reads the middle of is left as it is.
 */
export function foldChannelScales(graph: TensorGraph): TensorGraph {
  const byName = new Map(graph.nodes.map((node) => [node.name, node]))
  const tensors = new Map(graph.tensors.map((t) => [t.name, t]))
  const readers = new Map<string, GraphNode[]>()
  for (const node of graph.nodes) {
    for (const input of node.input ?? []) {
      const list = readers.get(input)
      if (list) list.push(node)
      else readers.set(input, [node])
    }
  }
  const readOnce = (name: string) => readers.get(name)?.length === 1

  const replaced = new Map<string, GraphNode>()
  const removed = new Set<string>()
  const rescaled = new Map<string, NamedTensor>()
  for (const mul of graph.nodes) {
    if (mul.op !== 'Mul' || mul.input?.length !== 2) continue
    const [convName, scaleName] = mul.input as [string, string]
    const conv = byName.get(convName)
    const scale = tensors.get(scaleName)
    if (!conv || !CONVOLUTIONS.has(conv.op) || !scale || !readOnce(convName) || !readOnce(scaleName)) continue
    const ops = fusedOps(conv)
    const [input, kernelName, biasName] = conv.input ?? []
    const kernel = kernelName === undefined ? undefined : tensors.get(kernelName)
    const bias = biasName === undefined ? undefined : tensors.get(biasName)
    const channels = bias?.shape[0]
    if (
      ops.length !== 1 ||
      ops[0] !== 'BiasAdd' ||
      input === undefined ||
      !kernel ||
      !bias ||
      !(kernel.data instanceof Float32Array) ||
      !(bias.data instanceof Float32Array) ||
      !(scale.data instanceof Float32Array) ||
      scale.data.length !== channels ||
      !readOnce(kernel.name) ||
      !readOnce(bias.name)
    )
      continue

    // The activation that follows, when it is the product's only reader and reads nothing else.
    const next = readOnce(mul.name) ? readers.get(mul.name)![0]! : undefined
    const activation = next && next.input?.length === 1 && FUSABLE_ACTIVATIONS.has(next.op) ? next : undefined
    const last = activation ?? mul
    const s = scale.data
    rescaled.set(kernel.name, { ...kernel, data: kernel.data.map((w, i) => w * s[i % channels]!) })
    rescaled.set(bias.name, { ...bias, data: bias.data.map((b, c) => b * s[c]!) })
    const alpha = activation?.attr?.alpha
    replaced.set(last.name, {
      ...conv,
      name: last.name,
      attr: {
        ...conv.attr,
        fused_ops: fusedOpsAttr(activation ? ['BiasAdd', activation.op] : ['BiasAdd']),
        ...(alpha ? { leakyrelu_alpha: alpha } : {}),
      },
    })
    for (const name of [conv.name, scaleName, ...(activation ? [mul.name] : [])]) removed.add(name)
  }

  return {
    nodes: graph.nodes.filter((n) => !removed.has(n.name)).map((n) => replaced.get(n.name) ?? n),
    tensors: graph.tensors.filter((t) => !removed.has(t.name)).map((t) => rescaled.get(t.name) ?? t),
  }
}
