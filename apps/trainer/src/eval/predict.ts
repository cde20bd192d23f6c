import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { ExplainUnsupportedError } from '@whisker/model-core'
import { writeAtomically } from '@whisker/model-core/training'
import type { BackendChoice } from '../core/backend.ts'
import { openClassifier, readModelFolder } from '../core/model-dir.ts'
import { overlayPng } from '../explain/overlay.ts'
import { classifyFiles, type Unreadable } from './classify-files.ts'
import { readUnlabelledFolder } from './folders.ts'
import { positiveIndex } from './options.ts'

/** The probability written for a photo that could not be read: no information either way. */
export const UNREADABLE_PROBABILITY = 0.5

export interface PredictOptions {
  model: string
  data: string
  submission: string
  /** Clip probabilities to [clip, 1 − clip] (0 < clip < 0.5); Kaggle's log loss punishes 0 and 1 hard. */
  clip?: number
  /** The class whose probability is the `label` column (default: dog if the model has it, else labels[1]). */
  positive?: string
  batchSize: number
  backend: BackendChoice
  /**
   * Write `<id>.explain.png` per photo: where the model looked for its answer, over the part of the
   * photo it saw. Into this folder (created if missing); `true` means the submission's folder.
   */
  explain?: string | true
  onProgress?: (stage: string, total: number) => (done: number) => void
}

export interface SubmissionSummary {
  path: string
  positive: string
  rows: { id: string; probability: number }[]
  /** Image files that could not be read or decoded: written with UNREADABLE_PROBABILITY. */
  unreadable: Unreadable[]
  /** Folder entries that are not image files: not in the submission. */
  skipped: Unreadable[]
  backend: string
  /** Where the overlays went and how many, when asked for. */
  explained?: { dir: string; count: number; method: string }
}

/** The file `predict --explain` writes for a photo id. */
export const explainFileName = (id: string) => `${id}.explain.png`

/** The default positive class: Kaggle's dogs-vs-cats asks for P(dog). */
export function defaultPositive(labels: readonly string[]): string {
  return labels.includes('dog') ? 'dog' : labels[1]!
}

export function clipProbability(p: number, eps: number | undefined): number {
  return eps === undefined ? p : Math.min(1 - eps, Math.max(eps, p))
}

/** Six significant digits, without trailing zeros. */
export function formatProbability(p: number): string {
  return String(Number(p.toPrecision(6)))
}

export function submissionCsv(rows: readonly { id: string; probability: number }[]): string {
  return `id,label\n${rows.map((r) => `${r.id},${formatProbability(r.probability)}\n`).join('')}`
}

/** Classifies an unlabelled folder and writes Kaggle's `id,label` submission, rows in id order. */
export async function predictSubmission(options: PredictOptions): Promise<SubmissionSummary> {
  const artifacts = await readModelFolder(resolve(options.model))
  const labels = artifacts.card.labels
  const positive = options.positive ?? defaultPositive(labels)
  const index = positiveIndex(labels, positive)
  const folder = await readUnlabelledFolder(resolve(options.data))

  const path = resolve(options.submission)
  const explainDir =
    options.explain === undefined
      ? undefined
      : resolve(options.explain === true ? dirname(path) : options.explain)
  if (explainDir) await mkdir(explainDir, { recursive: true })

  const { classifier, backend } = await openClassifier(artifacts, options.backend)
  if (explainDir && !classifier.explainNodes) {
    classifier.dispose()
    throw new ExplainUnsupportedError('its graph has no feature map pooled into a dense head')
  }
  const progress = options.onProgress?.(explainDir ? 'classify + explain' : 'classify', folder.photos.length)
  let explained = 0
  const result = await classifyFiles(classifier, folder.photos, {
    batchSize: options.batchSize,
    ...(progress && { onProgress: progress }),
    ...(explainDir && {
      onExplained: async (photo, image, heatmap) => {
        const png = await overlayPng(image, heatmap, artifacts.card.input.resize)
        await writeAtomically(join(explainDir, explainFileName(photo.id)), png)
        explained++
      },
    }),
  }).finally(() => classifier.dispose())
  const method = classifier.explainNodes?.method

  const byId = new Map(result.classified.map((c) => [c.file.id, c.probabilities[index]!]))
  const rows = folder.photos.map((photo) => ({
    id: photo.id,
    probability: clipProbability(byId.get(photo.id) ?? UNREADABLE_PROBABILITY, options.clip),
  }))
  await writeAtomically(path, submissionCsv(rows))
  return {
    ...(explainDir && method && { explained: { dir: explainDir, count: explained, method } }),
    path,
    positive,
    rows,
    unreadable: result.unreadable.map(({ name, reason }) => ({ name, reason })),
    skipped: folder.skipped,
    backend,
  }
}
