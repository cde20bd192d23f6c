import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import { type RgbImage, toModelInput } from '@whisker/preprocess'
import { argmax } from './argmax.ts'
import type { ModelArtifacts } from './artifacts.ts'
import { type ModelCard, parseModelCard } from './card.ts'
import { ExplainUnsupportedError, gradCam } from './explain/grad-cam.ts'
import type { Heatmap } from './explain/heatmap.ts'
import { type ExplainNodes, findExplainNodes } from './explain/nodes.ts'
import { foldChannelScales, hasChannelScales } from './fold-channel-scales.ts'
import { readGraph } from './read-graph.ts'

export interface Prediction {
  label: string
  score: number
}

export interface Classification {
  label: string
  confidence: number
  /** Highest score first. */
  predictions: Prediction[]
}

export interface ClassifyOptions {
  /** How many predictions to return (default: all classes). */
  topK?: number
}

export interface ExplainOptions extends ClassifyOptions {
  /** Explain this class (an index into the card's labels) instead of the top one. */
  classIndex?: number
}

/** A classification with the heatmap of where the model looked for its top class. */
export interface Explanation {
  classification: Classification
  heatmap: Heatmap
  /** Milliseconds: resize and forward pass; then the heatmap (gradient and map, not any PNG). */
  timing: { classifyMs: number; heatmapMs: number }
}

/** One input's probabilities (label order) and the heatmap of its top class. */
export interface ExplainedInput {
  probabilities: Float32Array
  heatmap: Heatmap
}

/**
 * The one predictor: the trainer's evaluation, the Worker and the browser all classify through it, so
 * a number that differs between them is a bug. The tfjs backend is chosen by the caller's runtime.
 */
export interface Classifier {
  readonly card: ModelCard
  classify(image: RgbImage, options?: ClassifyOptions): Promise<Classification>
  /** Class probabilities for many images in one batch, in label order. */
  probabilities(images: readonly RgbImage[]): Promise<Float32Array[]>
  /**
   * The same for inputs already made by `toModelInput` with this card's policy, `count` of them back to
   * back: lets evaluation preprocess once and score many candidate graphs.
   */
  probabilitiesOfInputs(pixels: Float32Array, count: number): Promise<Float32Array[]>
  /**
   * The graph nodes heatmaps are computed from: the card's `explain`, else found in the graph
   * (findExplainNodes); undefined when the model cannot explain itself (`explain` then throws).
   */
  readonly explainNodes: ExplainNodes | undefined
  /**
   * `classify` plus Grad-CAM for the top class, from one forward pass. Throws ExplainUnsupportedError
   * (EXPLAIN_UNSUPPORTED) for a graph without a pooled feature map, GradientsMissingError
   * (GRADIENTS_MISSING) when no tfjs gradients are registered in this runtime.
   */
  explain(image: RgbImage, options?: ExplainOptions): Promise<Explanation>
  /**
   * The same for `count` inputs already made by toModelInput, in one batch; `classes` (label indices,
   * one per input) explains those classes instead of the top ones.
   */
  explainInputs(pixels: Float32Array, count: number, classes?: readonly number[]): Promise<ExplainedInput[]>
  /**
   * What graph node `node` computes for the image (the card's preprocessing, batch of one): a feature
   * map is 1 × h × w × channels. Throws for a node the graph does not have.
   */
  activations(image: RgbImage, node: string): Promise<{ shape: number[]; values: Float32Array }>
  dispose(): void
}

export async function loadClassifier(artifacts: ModelArtifacts): Promise<Classifier> {
  const card = parseModelCard(artifacts.card)
  const model = await loadGraphModel(tf.io.fromMemory(await runtimeGraph(artifacts)))
  const explainNodes =
    card.explain ?? findExplainNodes(artifacts.modelJson.modelTopology.node, card.graph.output)
  return new GraphClassifier(model, card, explainNodes)
}

/**
 * The graph as tfjs runs it: the stored one, with per-channel uint8 scales folded back into their
 * convolutions (foldChannelScales) once the weights are decoded to float32, as tfjs would decode them
 * anyway. A graph without such scales is served exactly as stored.
 */
async function runtimeGraph(artifacts: ModelArtifacts): Promise<tf.io.ModelArtifacts> {
  const { modelTopology } = artifacts.modelJson
  const [manifest] = artifacts.modelJson.weightsManifest
  if (!hasChannelScales(modelTopology.node)) {
    return { modelTopology, weightSpecs: manifest.weights, weightData: artifacts.weights }
  }
  const folded = foldChannelScales(readGraph(artifacts.modelJson, artifacts.weights))
  const tensors = Object.fromEntries(
    folded.tensors.map((t) => [t.name, tf.tensor(t.data, t.shape, t.dtype)] as const),
  )
  try {
    const { data, specs } = await tf.io.encodeWeights(tensors)
    return { modelTopology: { ...modelTopology, node: folded.nodes }, weightSpecs: specs, weightData: data }
  } finally {
    tf.dispose(Object.values(tensors))
  }
}

class GraphClassifier implements Classifier {
  readonly card: ModelCard
  readonly explainNodes: ExplainNodes | undefined
  readonly #model: GraphModel

  constructor(model: GraphModel, card: ModelCard, explainNodes: ExplainNodes | undefined) {
    this.#model = model
    this.card = card
    this.explainNodes = explainNodes
  }

  async classify(image: RgbImage, options: ClassifyOptions = {}): Promise<Classification> {
    const [probs] = await this.probabilities([image])
    return rank(this.card.labels, probs!, options.topK)
  }

  async probabilities(images: readonly RgbImage[]): Promise<Float32Array[]> {
    return this.probabilitiesOfInputs(this.#inputs(images), images.length)
  }

  #inputs(images: readonly RgbImage[]): Float32Array {
    const [size] = this.card.input.shape
    const length = size * size * 3
    const pixels = new Float32Array(images.length * length)
    images.forEach((image, i) => {
      pixels.set(toModelInput(image, this.card.input.resize), i * length)
    })
    return pixels
  }

  async explain(image: RgbImage, options: ExplainOptions = {}): Promise<Explanation> {
    const started = performance.now()
    const classes = options.classIndex === undefined ? undefined : [options.classIndex]
    const { explained, heatmapMs } = await this.#explain(this.#inputs([image]), 1, classes)
    const { probabilities, heatmap } = explained[0]!
    return {
      classification: rank(this.card.labels, probabilities, options.topK),
      heatmap,
      timing: { classifyMs: performance.now() - started - heatmapMs, heatmapMs },
    }
  }

  async activations(image: RgbImage, node: string): Promise<{ shape: number[]; values: Float32Array }> {
    const [size] = this.card.input.shape
    const pixels = this.#inputs([image])
    const output = tf.tidy(() => {
      const input = tf.tensor4d(pixels, [1, size, size, 3])
      return this.#model.execute({ [this.card.graph.input]: input }, node) as tf.Tensor
    })
    try {
      return { shape: output.shape, values: Float32Array.from(await output.data()) }
    } finally {
      output.dispose()
    }
  }

  async explainInputs(
    pixels: Float32Array,
    count: number,
    classes?: readonly number[],
  ): Promise<ExplainedInput[]> {
    return (await this.#explain(pixels, count, classes)).explained
  }

  /** One forward pass to the feature map and the probabilities, then Grad-CAM for each top class. */
  async #explain(
    pixels: Float32Array,
    count: number,
    classes?: readonly number[],
  ): Promise<{ explained: ExplainedInput[]; heatmapMs: number }> {
    const nodes = this.explainNodes
    if (!nodes) throw new ExplainUnsupportedError('its graph has no feature map pooled into a dense head')
    const { labels, graph } = this.card
    if (classes && (classes.length !== count || classes.some((c) => !Number.isInteger(c) || !labels[c])))
      throw new RangeError(`classes must hold ${count} label indices, each 0 to ${labels.length - 1}`)
    if (count === 0) return { explained: [], heatmapMs: 0 }
    const [size] = this.card.input.shape
    const [features, output] = tf.tidy(() => {
      const input = tf.tensor4d(pixels, [count, size, size, 3])
      return this.#model.execute({ [graph.input]: input }, [nodes.featureNode, graph.output]) as tf.Tensor[]
    }) as [tf.Tensor, tf.Tensor]
    try {
      const flat = (await output.data()) as Float32Array
      const k = labels.length
      const probabilities = Array.from({ length: count }, (_, i) => flat.slice(i * k, (i + 1) * k))
      const top = classes ?? probabilities.map((p) => argmax(p))
      const started = performance.now()
      const maps = tf.tidy(() => gradCam(this.#model, nodes, features, top, k))
      const [, height, width] = maps.shape
      const values = (await maps.data()) as Float32Array
      maps.dispose()
      const heatmapMs = performance.now() - started
      const cells = height * width
      const explained = probabilities.map((p, i) => ({
        probabilities: p,
        heatmap: {
          method: nodes.method,
          label: labels[top[i]!]!,
          classIndex: top[i]!,
          height,
          width,
          values: values.slice(i * cells, (i + 1) * cells),
        },
      }))
      return { explained, heatmapMs }
    } finally {
      tf.dispose([features, output])
    }
  }

  async probabilitiesOfInputs(pixels: Float32Array, count: number): Promise<Float32Array[]> {
    if (count === 0) return []
    const [size] = this.card.input.shape
    const output = tf.tidy(() => {
      const input = tf.tensor4d(pixels, [count, size, size, 3])
      return this.#model.execute({ [this.card.graph.input]: input }, this.card.graph.output) as tf.Tensor
    })
    const flat = (await output.data()) as Float32Array
    output.dispose()
    const classes = this.card.labels.length
    return Array.from({ length: count }, (_, i) => flat.slice(i * classes, (i + 1) * classes))
  }

  dispose(): void {
    this.#model.dispose()
  }
}

/** Sorts class probabilities into the public answer shape. */
export function rank(labels: readonly string[], probs: Float32Array, topK = labels.length): Classification {
  const predictions = labels
    .map((label, i) => ({ label, score: probs[i] ?? 0 }))
    .sort((a, b) => b.score - a.score)
    .slice(0, Number.isFinite(topK) ? Math.max(1, Math.floor(topK)) : labels.length)
  const best = predictions[0]!
  return { label: best.label, confidence: best.score, predictions }
}
