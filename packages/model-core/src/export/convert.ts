import type * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { type GraphNode, type NamedTensor, type TensorGraph, VIEWS_MEAN } from '../artifacts.ts'
import { attr, constNode } from './graph-def.ts'
import { inputStem } from './stem.ts'

type Layer = tfl.layers.Layer
type Config = Record<string, unknown>

export interface ConvertOptions {
  /** Name of the graph's input placeholder, which takes RGB pixels in [0, 255]. */
  inputName: string
  /** Name of the graph's output node. */
  outputName: string
  /** Pixel scaling put inside the graph: x · scale + offset. */
  normalization: { scale: number; offset: number }
  /**
   * Temperature scaling for calibrated probabilities: softmax(logits / T). Folded into the weights of the
   * dense layer that feeds the softmax (x·W/T + b/T), so calibration costs no extra op.
   */
  temperature?: number
  /**
   * Flip test-time augmentation inside the graph: every input runs through the network together with its
   * left–right mirror (one batch of 2n), and the two views are averaged once, as early as position no
   * longer matters: where the feature map is pooled for the head (or flattened when it is one pixel wide),
   * else at the softmax's logits (a Flatten of a wider map keeps where things are, and a mirror puts them
   * elsewhere). For a linear head both are the mean of the two views' logits.
   */
  mirrorViews?: boolean
  /**
   * The graph tensor the model's input stands for, made by nodes the caller supplies (a user's graph
   * backbone, spliced before a pooling + head model): then no placeholder or scaling is emitted, and with
   * mirrorViews the caller's nodes already carry both views (see inputStem).
   */
  from?: string
}

/** What conversion gives: the graph's nodes and its float32 weights. */
export type ConvertedGraph = TensorGraph

export class UnsupportedLayerError extends Error {
  readonly code = 'UNSUPPORTED_LAYER'
  constructor(layer: Layer, why: string) {
    super(`Cannot export layer "${layer.name}" (${layer.getClassName()}): ${why}.`)
    this.name = 'UnsupportedLayerError'
  }
}

/**
 * Converts a (flat, functional or sequential) Layers model into an inference graph:
 * BatchNorm folded into the preceding convolution, bias and activation fused into `_FusedConv2D`,
 * `FusedDepthwiseConv2dNative` and `_FusedMatMul`, zero padding folded into explicit conv padding,
 * dropout removed, and the input scaling placed inside the graph.
 */
export function convertLayersModel(model: tfl.LayersModel, options: ConvertOptions): ConvertedGraph {
  return new Converter(model, options).run()
}

class Converter {
  readonly #model: tfl.LayersModel
  readonly #options: ConvertOptions
  readonly #nodes: GraphNode[] = []
  readonly #tensors: NamedTensor[] = []
  /** Layer name → the graph tensor that carries its output. */
  readonly #outputs = new Map<string, string>()
  readonly #consumers = new Map<string, Layer[]>()
  /** Layers already absorbed into an earlier fused node. */
  readonly #absorbed = new Set<string>()
  /** ZeroPadding2D layer name → its padding, when folded into the next convolution. */
  readonly #pendingPads = new Map<string, [[number, number], [number, number]]>()
  #viewsAveraged = false

  constructor(model: tfl.LayersModel, options: ConvertOptions) {
    this.#model = model
    this.#options = options
    for (const layer of model.layers) {
      for (const parent of parentsOf(layer)) {
        this.#consumers.set(parent.name, [...(this.#consumers.get(parent.name) ?? []), layer])
      }
    }
  }

  run(): ConvertedGraph {
    for (const layer of this.#layersInOrder()) {
      if (!this.#absorbed.has(layer.name)) this.#convert(layer)
    }
    const last = this.#outputLayer()
    if (!last || this.#model.outputs.length !== 1)
      throw new Error('Only single-output models can be exported.')
    if (this.#options.mirrorViews && !this.#viewsAveraged)
      throw new UnsupportedLayerError(
        last,
        'mirrorViews needs a GlobalAveragePooling2D, a Flatten of a one-pixel-wide map or a softmax output to average at',
      )
    this.#nodes.push({
      name: this.#options.outputName,
      op: 'Identity',
      input: [this.#outputOf(last)],
      attr: { T: attr.float() },
    })
    return { nodes: this.#nodes, tensors: this.#tensors }
  }

  /** From the output tensor rather than `outputLayers`, which an unbuilt Sequential leaves empty. */
  #outputLayer(): Layer | undefined {
    return this.#model.outputs[0]?.sourceLayer as Layer | undefined
  }

  /** A Sequential model leaves its InputLayer out of `layers`; the graph needs it first all the same. */
  #layersInOrder(): Layer[] {
    const known = new Set(this.#model.layers)
    const inputs = new Set(this.#model.layers.flatMap(parentsOf).filter((parent) => !known.has(parent)))
    return [...inputs, ...this.#model.layers]
  }

  #convert(layer: Layer): void {
    const config = layer.getConfig() as Config
    switch (layer.getClassName()) {
      case 'InputLayer':
        this.#input(layer)
        return
      case 'ZeroPadding2D':
        this.#zeroPadding(layer, config)
        return
      case 'Conv2D':
      case 'DepthwiseConv2D':
        this.#convolution(layer, config)
        return
      case 'BatchNormalization':
        this.#standaloneBatchNorm(layer, config)
        return
      case 'ReLU':
      case 'Activation':
      case 'LeakyReLU':
        this.#standaloneActivation(layer)
        return
      case 'Add':
        this.#add(layer)
        return
      case 'GlobalAveragePooling2D':
        this.#globalAveragePool(layer)
        return
      case 'MaxPooling2D':
        this.#maxPool(layer, config)
        return
      case 'Flatten':
        this.#flatten(layer)
        return
      case 'Dense':
        this.#dense(layer, config)
        return
      case 'Dropout':
        this.#alias(layer, this.#inputOf(layer))
        return
      default:
        throw new UnsupportedLayerError(layer, 'no graph mapping for this layer class')
    }
  }

  #input(layer: Layer): void {
    if (this.#options.from !== undefined) {
      this.#alias(layer, this.#options.from)
      return
    }
    const shape = (layer.batchInputShape ?? []).map((d) => d ?? -1)
    const stem = inputStem(this.#options, shape)
    this.#nodes.push(...stem.nodes)
    this.#tensors.push(...stem.tensors)
    this.#alias(layer, stem.output)
  }

  /**
   * With mirrorViews, where a feature map becomes a vector: the 2n rows (n photos, then their n mirrors)
   * become the n means of each photo's two rows. Once, at the first such layer.
   */
  #averageViews(layer: Layer, vector: string): string {
    if (!this.#options.mirrorViews || this.#viewsAveraged) return vector
    this.#viewsAveraged = true
    const width = (layer.outputShape as number[]).at(-1)!
    const shape = this.#const(`${layer.name}/views_shape`, [3], new Int32Array([2, -1, width]))
    const paired = this.#op(`${layer.name}/views`, 'Reshape', [vector, shape], { Tshape: attr.int32() })
    const axis = this.#const(`${layer.name}/views_axis`, [1], new Int32Array([0]))
    return this.#op(`${layer.name}${VIEWS_MEAN}`, 'Mean', [paired, axis], {
      keep_dims: attr.bool(false),
      Tidx: attr.int32(),
    })
  }

  #zeroPadding(layer: Layer, config: Config): void {
    const padding = config.padding as [[number, number], [number, number]]
    const next = this.#soleConsumer(layer)
    const nextConfig = next?.getConfig() as Config | undefined
    const foldable =
      next && ['Conv2D', 'DepthwiseConv2D'].includes(next.getClassName()) && nextConfig?.padding === 'valid'
    if (foldable) {
      this.#pendingPads.set(layer.name, padding)
      this.#alias(layer, this.#inputOf(layer))
      return
    }
    const [[top, bottom], [left, right]] = padding
    const paddings = this.#const(
      `${layer.name}/paddings`,
      [4, 2],
      new Int32Array([0, 0, top, bottom, left, right, 0, 0]),
    )
    this.#alias(
      layer,
      this.#op(layer.name, 'Pad', [this.#inputOf(layer), paddings], { Tpaddings: attr.int32() }),
    )
  }

  #convolution(layer: Layer, config: Config): void {
    const depthwise = layer.getClassName() === 'DepthwiseConv2D'
    const kernelVar = weightOf(layer, depthwise ? 'depthwise_kernel' : 'kernel')
    const kernel = kernelVar.dataSync() as Float32Array
    const kernelShape = kernelVar.shape
    const outChannels = depthwise ? kernelShape[2]! * kernelShape[3]! : kernelShape[3]!
    const bias = config.useBias
      ? Float32Array.from(weightOf(layer, 'bias').dataSync())
      : new Float32Array(outChannels)
    let weightsKernel = Float32Array.from(kernel)
    let tail: Layer = layer

    let activation = activationOf(layer, config)
    // A BatchNorm after the convolution's own activation acts on activated values: it cannot be folded.
    const bn = activation === undefined ? this.#soleConsumer(layer) : undefined
    if (bn?.getClassName() === 'BatchNormalization') {
      const { scale, shift } = batchNormAffine(bn, bn.getConfig() as Config)
      weightsKernel = weightsKernel.map((w, i) => w * scale[i % outChannels]!)
      for (let c = 0; c < outChannels; c++) bias[c] = bias[c]! * scale[c]! + shift[c]!
      this.#absorbed.add(bn.name)
      tail = bn
    }
    if (activation === undefined) {
      const next = this.#soleConsumer(tail)
      const fused = next && activationLayer(next)
      // Softmax is not a fusable activation: an Activation('softmax') layer stays its own node.
      if (fused && fused.op !== 'Softmax') {
        activation = fused
        this.#absorbed.add(next.name)
        tail = next
      }
    }
    if (activation?.op === 'Softmax') throw new UnsupportedLayerError(layer, 'softmax on a convolution')

    const parent = parentsOf(layer)[0]
    const pad = parent && this.#pendingPads.get(parent.name)
    const strides = config.strides as number[]
    const dilations = config.dilationRate as number[]
    const filter = this.#const(`${layer.name}/kernel`, kernelShape, weightsKernel)
    const biasName = this.#const(`${layer.name}/bias`, [outChannels], bias)
    const fusedOps = ['BiasAdd', ...(activation ? [activation.op] : [])]
    const name = this.#op(
      layer.name,
      depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D',
      [this.#inputOf(layer), filter, biasName],
      {
        num_args: attr.int(1),
        fused_ops: attr.strings(fusedOps),
        strides: attr.ints([1, strides[0]!, strides[1]!, 1]),
        dilations: attr.ints([1, dilations[0]!, dilations[1]!, 1]),
        data_format: attr.string('NHWC'),
        padding: attr.string(pad ? 'EXPLICIT' : String(config.padding).toUpperCase()),
        explicit_paddings: attr.ints(pad ? [0, 0, pad[0][0], pad[0][1], pad[1][0], pad[1][1], 0, 0] : []),
        ...(activation?.alpha !== undefined ? { leakyrelu_alpha: attr.real(activation.alpha) } : {}),
      },
    )
    this.#alias(layer, name)
    this.#alias(tail, name)
  }

  #standaloneBatchNorm(layer: Layer, config: Config): void {
    const { scale, shift } = batchNormAffine(layer, config)
    const s = this.#const(`${layer.name}/scale`, [scale.length], scale)
    const b = this.#const(`${layer.name}/shift`, [shift.length], shift)
    const scaled = this.#op(`${layer.name}/mul`, 'Mul', [this.#inputOf(layer), s])
    this.#alias(layer, this.#op(layer.name, 'AddV2', [scaled, b]))
  }

  #standaloneActivation(layer: Layer): void {
    const activation = activationLayer(layer)
    if (!activation) throw new UnsupportedLayerError(layer, 'unsupported activation')
    const extra = activation.alpha !== undefined ? { alpha: attr.real(activation.alpha) } : {}
    this.#alias(layer, this.#op(layer.name, activation.op, [this.#inputOf(layer)], extra))
  }

  #add(layer: Layer): void {
    const inputs = parentsOf(layer).map((p) => this.#outputOf(p))
    let sum = inputs[0]!
    for (let i = 1; i < inputs.length; i++) {
      sum = this.#op(i === inputs.length - 1 ? layer.name : `${layer.name}/${i}`, 'AddV2', [sum, inputs[i]!])
    }
    this.#alias(layer, sum)
  }

  #globalAveragePool(layer: Layer): void {
    const axes = this.#const(`${layer.name}/axes`, [2], new Int32Array([1, 2]))
    const pooled = this.#op(layer.name, 'Mean', [this.#inputOf(layer), axes], {
      keep_dims: attr.bool(false),
      Tidx: attr.int32(),
    })
    this.#alias(layer, this.#averageViews(layer, pooled))
  }

  #maxPool(layer: Layer, config: Config): void {
    const [kh, kw] = config.poolSize as number[]
    const [sh, sw] = (config.strides as number[] | null) ?? [kh!, kw!]
    this.#alias(
      layer,
      this.#op(layer.name, 'MaxPool', [this.#inputOf(layer)], {
        ksize: attr.ints([1, kh!, kw!, 1]),
        strides: attr.ints([1, sh!, sw!, 1]),
        padding: attr.string(String(config.padding).toUpperCase()),
        data_format: attr.string('NHWC'),
      }),
    )
  }

  #flatten(layer: Layer): void {
    const features = (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1)
    const shape = this.#const(`${layer.name}/shape`, [2], new Int32Array([-1, features]))
    const flat = this.#op(layer.name, 'Reshape', [this.#inputOf(layer), shape], { Tshape: attr.int32() })
    // A map wider than one pixel keeps where things are, and the mirror's are elsewhere: averaging there would
    // mix unrelated features, so the views wait for the logits.
    const width = (layer.input as tfl.SymbolicTensor).shape[2]
    this.#alias(layer, width === undefined || width === 1 ? this.#averageViews(layer, flat) : flat)
  }

  #dense(layer: Layer, config: Config): void {
    const kernelVar = weightOf(layer, 'kernel')
    const units = kernelVar.shape[1]!
    const bias = config.useBias
      ? Float32Array.from(weightOf(layer, 'bias').dataSync())
      : new Float32Array(units)
    const activation = activationOf(layer, config)
    const invT = activation?.op === 'Softmax' ? 1 / (this.#options.temperature ?? 1) : 1
    const kernelValues = Float32Array.from(kernelVar.dataSync(), (w) => w * invT)
    for (let i = 0; i < bias.length; i++) bias[i] = bias[i]! * invT
    const kernel = this.#const(`${layer.name}/kernel`, kernelVar.shape, kernelValues)
    const biasName = this.#const(`${layer.name}/bias`, [units], bias)
    const fusable = activation && activation.op !== 'Softmax'
    const fusedOps = ['BiasAdd', ...(fusable ? [activation.op] : [])]
    const matmul = this.#op(
      fusable || !activation ? layer.name : `${layer.name}/logits`,
      '_FusedMatMul',
      [this.#inputOf(layer), kernel, biasName],
      {
        num_args: attr.int(1),
        fused_ops: attr.strings(fusedOps),
        transpose_a: attr.bool(false),
        transpose_b: attr.bool(false),
        ...(activation?.alpha !== undefined ? { leakyrelu_alpha: attr.real(activation.alpha) } : {}),
      },
    )
    if (activation?.op !== 'Softmax') {
      this.#alias(layer, matmul)
      return
    }
    // Views not averaged yet (no pooling for the head): the answer is the softmax of the mean logits.
    const logits = layer === this.#outputLayer() ? this.#averageViews(layer, matmul) : matmul
    this.#alias(layer, this.#op(layer.name, 'Softmax', [logits]))
  }

  #op(name: string, op: string, input: string[], extra: Record<string, unknown> = {}): string {
    this.#nodes.push({ name, op, input, attr: { T: attr.float(), ...extra } })
    return name
  }

  #const(name: string, shape: readonly number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32'
    this.#nodes.push(constNode(name, shape, dtype))
    this.#tensors.push({ name, shape: [...shape], dtype, data })
    return name
  }

  #alias(layer: Layer, tensorName: string): void {
    this.#outputs.set(layer.name, tensorName)
  }

  #outputOf(layer: Layer): string {
    const name = this.#outputs.get(layer.name)
    if (!name) throw new Error(`Layer ${layer.name} was used before it was converted.`)
    return name
  }

  #inputOf(layer: Layer): string {
    const [parent, ...rest] = parentsOf(layer)
    if (!parent || rest.length > 0) throw new UnsupportedLayerError(layer, 'expected exactly one input')
    return this.#outputOf(parent)
  }

  #soleConsumer(layer: Layer): Layer | undefined {
    const consumers = this.#consumers.get(layer.name) ?? []
    const isOutput = this.#outputLayer() === layer
    return consumers.length === 1 && !isOutput ? consumers[0] : undefined
  }
}

interface Activation {
  op: 'Relu' | 'Relu6' | 'LeakyRelu' | 'Sigmoid' | 'Elu' | 'Softmax'
  alpha?: number
}

const ACTIVATIONS: Record<string, Activation | undefined> = {
  relu: { op: 'Relu' },
  relu6: { op: 'Relu6' },
  sigmoid: { op: 'Sigmoid' },
  elu: { op: 'Elu' },
  softmax: { op: 'Softmax' },
}

/** The activation a layer applies through its `activation` config (undefined for linear). */
function activationOf(layer: Layer, config: Config): Activation | undefined {
  const name = String(config.activation ?? 'linear')
  if (name === 'linear') return undefined
  const found = ACTIVATIONS[name]
  if (!found) throw new UnsupportedLayerError(layer, `activation "${name}"`)
  return found
}

/** What an activation *layer* computes, or undefined when the layer isn't one we can express. */
function activationLayer(layer: Layer): Activation | undefined {
  const config = layer.getConfig() as Config
  switch (layer.getClassName()) {
    case 'ReLU': {
      const max = config.maxValue as number | null | undefined
      if (max == null) return { op: 'Relu' }
      return max === 6 ? { op: 'Relu6' } : undefined
    }
    case 'LeakyReLU':
      return { op: 'LeakyRelu', alpha: Number(config.alpha) }
    case 'Activation':
      return ACTIVATIONS[String(config.activation)]
    default:
      return undefined
  }
}

function parentsOf(layer: Layer): Layer[] {
  return layer.inboundNodes[0]?.inboundLayers ?? []
}

function weightOf(layer: Layer, name: string): tf.Tensor {
  const variable = layer.weights.find((w) => (w.originalName ?? w.name).split('/').at(-1)?.startsWith(name))
  if (!variable) throw new UnsupportedLayerError(layer, `missing weight "${name}"`)
  return variable.read()
}

/** BatchNorm at inference is y = x · scale + shift per channel. */
function batchNormAffine(layer: Layer, config: Config): { scale: Float32Array; shift: Float32Array } {
  const mean = weightOf(layer, 'moving_mean').dataSync()
  const variance = weightOf(layer, 'moving_variance').dataSync()
  const gamma = config.scale === false ? undefined : weightOf(layer, 'gamma').dataSync()
  const beta = config.center === false ? undefined : weightOf(layer, 'beta').dataSync()
  const epsilon = Number(config.epsilon ?? 1e-3)
  const scale = new Float32Array(mean.length)
  const shift = new Float32Array(mean.length)
  for (let c = 0; c < mean.length; c++) {
    scale[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + epsilon)
    shift[c] = (beta?.[c] ?? 0) - mean[c]! * scale[c]!
  }
  return { scale, shift }
}
