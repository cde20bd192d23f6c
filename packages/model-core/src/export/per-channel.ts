import type { NamedTensor } from '../artifacts.ts'
import { fusedOps, type GraphNode } from '../artifacts.ts'
import { attr, constNode } from './graph-def.ts'

/** Convolutions whose kernel (input 1) and bias (input 2) this pass can rescale per output channel. */
const CONVOLUTIONS = new Set(['_FusedConv2D', 'FusedDepthwiseConv2dNative'])

/** Integer levels either side of zero: symmetric, so zero stays exact and no per-channel offset is needed. */
export const CHANNEL_LEVELS = 127

/**
 * Per-output-channel uint8 for convolution kernels, in a graph stock tfjs runs. tfjs stores one scale
 * per tensor, and after BatchNorm folding a kernel's channels differ in range by 100× and more (depthwise
 * kernels above all): one step sized for the widest channel erases the narrow ones, which is why
 * per-tensor uint8 collapsed MobileNet to 70 %. So each channel c is scaled to integers,
 * K[…, c] = round(W[…, c] / s_c) with s_c = max|W[…, c]| / 127, stored exactly as uint8 (q − 127), and the
 * graph multiplies the convolution's output by s: conv(x, W) + b = s · (conv(x, K) + b / s). The
 * activation, which does not commute with the scale (relu6 clips at 6), moves after the `Mul`; the last node
 * keeps the convolution's name, so everything reading it (the next layer, the heatmap's feature node) is
 * unchanged.
 */
export function perChannelKernels(
  nodes: readonly GraphNode[],
  tensors: readonly NamedTensor[],
  kernels: ReadonlySet<string>,
): { nodes: GraphNode[]; tensors: NamedTensor[]; integerKernels: Set<string> } {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  const replaced = new Map<string, NamedTensor>()
  const added: NamedTensor[] = []
  const integerKernels = new Set<string>()
  const out: GraphNode[] = []
  for (const node of nodes) {
    const [, kernelName, biasName] = node.input ?? []
    const kernel = kernelName === undefined ? undefined : byName.get(kernelName)
    const bias = biasName === undefined ? undefined : byName.get(biasName)
    if (
      !CONVOLUTIONS.has(node.op) ||
      !kernel ||
      !bias ||
      !kernels.has(kernel.name) ||
      !(kernel.data instanceof Float32Array)
    ) {
      out.push(node)
      continue
    }
    const channels = bias.shape[0]!
    const scales = channelScales(kernel.data, channels)
    replaced.set(kernel.name, {
      ...kernel,
      data: Float32Array.from(kernel.data, (w, i) => Math.round(w / scales[i % channels]!)),
    })
    integerKernels.add(kernel.name)
    replaced.set(bias.name, { ...bias, data: Float32Array.from(bias.data, (b, c) => b / scales[c]!) })
    const scaleName = `${node.name}/channel_scale`
    added.push({ name: scaleName, shape: [channels], dtype: 'float32', data: scales })

    const activation = fusedOps(node).slice(1)
    const convName = `${node.name}/integer`
    out.push(constNode(scaleName, [channels], 'float32'))
    out.push({ ...node, name: convName, attr: { ...node.attr, fused_ops: attr.strings(['BiasAdd']) } })
    const mulName = activation.length > 0 ? `${node.name}/scaled` : node.name
    out.push({ name: mulName, op: 'Mul', input: [convName, scaleName], attr: { T: attr.float() } })
    if (activation.length > 0) {
      const alpha = node.attr?.leakyrelu_alpha as { f: number } | undefined
      out.push({
        name: node.name,
        op: activation[0]!,
        input: [mulName],
        attr: { T: attr.float(), ...(alpha ? { alpha } : {}) },
      })
    }
  }
  const all = [...tensors.map((t) => replaced.get(t.name) ?? t), ...added]
  return { nodes: out, tensors: all, integerKernels }
}

/** s_c = max|W[…, c]| / 127 over each output channel (the last axis, flattened with the multiplier). */
function channelScales(data: Float32Array, channels: number): Float32Array {
  const scales = new Float32Array(channels)
  for (let i = 0; i < data.length; i++) {
    const c = i % channels
    scales[c] = Math.max(scales[c]!, Math.abs(data[i]!))
  }
  // An all-zero channel keeps scale 1: its integers are all 0 either way.
  return scales.map((m) => (m > 0 ? m / CHANNEL_LEVELS : 1))
}
