import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter'
import * as tf from '@tensorflow/tfjs-core'
import { type RgbImage, toModelInput } from '@whisker/preprocess'
import type { ModelArtifacts } from './artifacts.ts'
import { type ModelCard, parseModelCard } from './card.ts'

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
  dispose(): void
}

export async function loadClassifier(artifacts: ModelArtifacts): Promise<Classifier> {
  const card = parseModelCard(artifacts.card)
  const [manifest] = artifacts.modelJson.weightsManifest
  const model = await loadGraphModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelJson.modelTopology,
      weightSpecs: manifest.weights,
      weightData: artifacts.weights,
    }),
  )
  return new GraphClassifier(model, card)
}

class GraphClassifier implements Classifier {
  readonly card: ModelCard
  readonly #model: GraphModel

  constructor(model: GraphModel, card: ModelCard) {
    this.#model = model
    this.card = card
  }

  async classify(image: RgbImage, options: ClassifyOptions = {}): Promise<Classification> {
    const [probs] = await this.probabilities([image])
    return rank(this.card.labels, probs!, options.topK)
  }

  async probabilities(images: readonly RgbImage[]): Promise<Float32Array[]> {
    const [size] = this.card.input.shape
    const length = size * size * 3
    const pixels = new Float32Array(images.length * length)
    images.forEach((image, i) => {
      pixels.set(toModelInput(image, this.card.input.resize), i * length)
    })
    return this.probabilitiesOfInputs(pixels, images.length)
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
