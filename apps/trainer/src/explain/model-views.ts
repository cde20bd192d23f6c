import type { Classifier, GraphNode, ModelArtifacts } from '@whisker/model-core'
import { readGraph } from '@whisker/model-core/training'
import type { RgbImage } from '@whisker/preprocess'
import { enlarge, type Raster, range, stretch, tile } from './pictures.ts'

const CONV_OPS = new Set(['Conv2D', '_FusedConv2D'])

/** A `--layer` the graph does not have, or a node that is not a feature map. */
export class UnknownLayerError extends Error {
  readonly code = 'UNKNOWN_LAYER'
  constructor(message: string) {
    super(message)
    this.name = 'UnknownLayerError'
  }
}

/**
 * The network's first convolution: the conv node closest to the input (breadth-first over consumers), so
 * the graph's node order does not matter. Nodes keep the Layers names: `Conv1` in MobileNetV2.
 */
export function firstConvolution(nodes: readonly GraphNode[], input: string): GraphNode | undefined {
  const consumers = new Map<string, GraphNode[]>()
  for (const node of nodes) {
    for (const from of node.input ?? []) {
      const name = from.replace(/^\^/, '').replace(/:\d+$/, '')
      consumers.set(name, [...(consumers.get(name) ?? []), node])
    }
  }
  const seen = new Set<string>([input])
  let frontier = [input]
  while (frontier.length > 0) {
    const next: string[] = []
    for (const name of frontier) {
      for (const node of consumers.get(name) ?? []) {
        if (CONV_OPS.has(node.op) && node.input?.[0] === name) return node
        if (!seen.has(node.name)) {
          seen.add(node.name)
          next.push(node.name)
        }
      }
    }
    frontier = next
  }
  return undefined
}

/** How large a filter's square is drawn, and how many columns the grids have. */
const FILTER_PIXELS = 36
const COLUMNS = 8
const GAP = 4

/**
 * The learned first-layer filters as a grid: each kh × kw × 3 kernel as an RGB patch, stretched to its
 * own range (the exporter folds BatchNorm into the weights, which scales each filter differently; the
 * pattern is what matters), each weight drawn as a square. Kernels over other than 3 channels are drawn
 * grey (the mean over input channels).
 */
export function filterGrid(artifacts: ModelArtifacts): { node: string; count: number; raster: Raster } {
  const nodes = artifacts.modelJson.modelTopology.node
  const conv = firstConvolution(nodes, artifacts.card.graph.input)
  if (!conv) throw new UnknownLayerError('The model has no convolution to draw filters from')
  const kernelName = conv.input?.[1]
  const { tensors } = readGraph(artifacts.modelJson, artifacts.weights)
  const kernel = tensors.find((t) => t.name === kernelName)
  if (kernel?.shape.length !== 4) throw new UnknownLayerError(`${conv.name} has no 4-D kernel`)
  const [kh, kw, inC, outC] = kernel.shape as [number, number, number, number]
  const data = kernel.data
  const tiles = Array.from({ length: outC }, (_, f): Raster => {
    const channels = inC === 3 ? 3 : 1
    const values = new Float32Array(kh * kw * channels)
    for (let p = 0; p < kh * kw; p++) {
      if (channels === 3) for (let c = 0; c < 3; c++) values[p * 3 + c] = data[(p * inC + c) * outC + f]!
      else {
        let sum = 0
        for (let c = 0; c < inC; c++) sum += data[(p * inC + c) * outC + f]!
        values[p] = sum / inC
      }
    }
    const [lo, hi] = range(values)
    const raster: Raster = { width: kw, height: kh, channels, data: stretch(values, lo, hi) }
    return enlarge(raster, Math.max(1, Math.floor(FILTER_PIXELS / Math.max(kh, kw))))
  })
  return { node: conv.name, count: outC, raster: tile(tiles, COLUMNS, GAP) }
}

/** At most this many channels of a layer are drawn. */
export const MAX_FEATURE_MAPS = 32
/** Small maps are enlarged (whole factors) to at least this side. */
const MIN_MAP_PIXELS = 56

/**
 * What one layer computes for the photo: its first channels (MAX_FEATURE_MAPS at most) as grey pictures,
 * each stretched to its own range (black lowest, white highest; ReLU layers' zeros are black).
 */
export async function featureMapGrid(
  classifier: Classifier,
  image: RgbImage,
  layer: string,
): Promise<{ shape: number[]; shown: number; raster: Raster }> {
  let activations: { shape: number[]; values: Float32Array }
  try {
    activations = await classifier.activations(image, layer)
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new UnknownLayerError(`Cannot read layer "${layer}" from the model: ${message}`)
  }
  const { shape, values } = activations
  if (shape.length !== 4)
    throw new UnknownLayerError(`"${layer}" is not a feature map (its shape is ${JSON.stringify(shape)})`)
  const [, h, w, c] = shape as [number, number, number, number]
  const shown = Math.min(c, MAX_FEATURE_MAPS)
  const factor = Math.max(1, Math.ceil(MIN_MAP_PIXELS / Math.max(h, w)))
  const tiles = Array.from({ length: shown }, (_, k) => {
    const channel = new Float32Array(h * w)
    for (let p = 0; p < h * w; p++) channel[p] = values[p * c + k]!
    const [lo, hi] = range(channel)
    return enlarge({ width: w, height: h, channels: 1, data: stretch(channel, Math.min(0, lo), hi) }, factor)
  })
  return { shape, shown, raster: tile(tiles, COLUMNS, GAP) }
}
