import { readFile } from 'node:fs/promises'
import { loadClassifier, type ModelArtifacts } from '@whisker/model-core'
import { type ResizePolicy, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { type ClassificationMetrics, scoreProbabilities } from '../core/metrics.ts'
import type { LabelledFile } from '../data/dataset.ts'
import { rowLength } from '../data/pixel-store.ts'

/**
 * Photos preprocessed once and kept in memory (224² photos: 0.6 MB each), so that every candidate graph
 * (calibrated, quantized, …) runs through the one predictor on exactly what the Worker would feed it: the
 * sealed photos a figure is measured on, or the training photos a quantization is judged on.
 */
export class PhotoSet {
  readonly truth: number[]
  readonly #inputs: Float32Array
  readonly #count: number

  private constructor(inputs: Float32Array, truth: number[]) {
    this.#inputs = inputs
    this.truth = truth
    this.#count = truth.length
  }

  static async load(
    files: readonly LabelledFile[],
    labels: readonly string[],
    policy: ResizePolicy,
  ): Promise<PhotoSet> {
    const length = rowLength(policy.size)
    const inputs = new Float32Array(files.length * length)
    for (const [i, file] of files.entries()) {
      inputs.set(toModelInput(await decodeImage(await readFile(file.path)), policy), i * length)
    }
    return new PhotoSet(
      inputs,
      files.map((f) => labels.indexOf(f.label)),
    )
  }

  get size(): number {
    return this.#count
  }

  async score(artifacts: ModelArtifacts): Promise<ClassificationMetrics> {
    return scoreProbabilities(await this.probabilities(artifacts, this.#count), this.truth)
  }

  /** Probabilities for the first `limit` photos (all by default). */
  async probabilities(
    artifacts: ModelArtifacts,
    limit = this.#count,
    batchSize = 32,
  ): Promise<Float32Array[]> {
    const classifier = await loadClassifier(artifacts)
    const length = this.#inputs.length / Math.max(1, this.#count)
    const total = Math.min(limit, this.#count)
    const probabilities: Float32Array[] = []
    for (let start = 0; start < total; start += batchSize) {
      const count = Math.min(batchSize, total - start)
      const batch = this.#inputs.subarray(start * length, (start + count) * length)
      probabilities.push(...(await classifier.probabilitiesOfInputs(batch, count)))
    }
    classifier.dispose()
    return probabilities
  }
}
