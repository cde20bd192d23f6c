import { resolve } from 'node:path'
import type { BackendChoice } from '../core/backend.ts'
import { type Evaluation, evaluatePredictions } from '../core/metrics.ts'
import { openClassifier, readModelFolder } from '../core/model-dir.ts'
import { countByLabel, DatasetError, readDataset } from '../data/dataset.ts'
import { classifyFiles, type Unreadable } from './classify-files.ts'
import { checkLabels } from './folders.ts'
import { OptionError, positiveIndex } from './options.ts'

export interface EvaluateOptions {
  model: string
  data: string
  batchSize: number
  backend: BackendChoice
  /** Binary models: the class whose probability is the ROC score (default labels[1]). */
  positive?: string
  onProgress?: (stage: string, total: number) => (done: number) => void
}

/** What `whisker evaluate --json` prints: plain JSON (the ROC's first threshold, +∞, becomes null). */
export interface EvaluationReport extends Evaluation {
  model: {
    dir: string
    name: string
    version: string
    quantization: string
    labels: string[]
    temperature: number | null
  }
  data: {
    root: string
    /** Labelled photos found (evaluated + unreadable). */
    photos: number
    classCounts: Record<string, number>
    /** Entries that are not labelled image files. */
    skipped: Unreadable[]
    /** Image files that could not be read or decoded: not evaluated. */
    unreadable: Unreadable[]
  }
  backend: string
  /** Every evaluated photo with its true class and its probabilities (label order), in name order. */
  predictions: { name: string; label: string; probabilities: number[] }[]
}

/** Classifies every labelled photo in `data` with the model in `model` and scores the result. */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluationReport> {
  const modelDir = resolve(options.model)
  const artifacts = await readModelFolder(modelDir)
  const { card } = artifacts
  const dataset = await readDataset(resolve(options.data))
  checkLabels(dataset.root, dataset.labels, card.labels)
  let positive: number | undefined
  if (options.positive !== undefined) {
    if (card.labels.length !== 2)
      throw new OptionError('--positive applies to binary models; more classes are scored one-vs-rest')
    positive = positiveIndex(card.labels, options.positive)
  }

  const { classifier, backend } = await openClassifier(artifacts, options.backend)
  const progress = options.onProgress?.('classify', dataset.files.length)
  const result = await classifyFiles(classifier, dataset.files, {
    batchSize: options.batchSize,
    ...(progress && { onProgress: progress }),
  })
  classifier.dispose()
  if (result.classified.length === 0)
    throw new DatasetError(`None of the ${dataset.files.length} photos in ${dataset.root} could be read`)

  const evaluation = evaluatePredictions(
    result.classified.map((c) => c.probabilities),
    result.classified.map((c) => card.labels.indexOf(c.file.label)),
    card.labels,
    positive === undefined ? {} : { positive },
  )
  return {
    model: {
      dir: modelDir,
      name: card.name,
      version: card.version,
      quantization: card.quantization,
      labels: card.labels,
      temperature: card.calibration?.temperature ?? null,
    },
    data: {
      root: dataset.root,
      photos: dataset.files.length,
      classCounts: countByLabel(dataset.files),
      skipped: dataset.skipped,
      unreadable: result.unreadable.map(({ name, reason }) => ({ name, reason })),
    },
    backend,
    ...evaluation,
    predictions: result.classified.map((c) => ({
      name: c.file.name,
      label: c.file.label,
      probabilities: Array.from(c.probabilities),
    })),
  }
}
