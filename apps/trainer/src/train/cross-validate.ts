import * as tf from '@tensorflow/tfjs-core'
import type * as tfl from '@tensorflow/tfjs-layers'
import { hashName } from '../data/split.ts'
import type { StopSignal } from '../run/interrupt.ts'
import type { EpochRecord } from '../run/records.ts'
import { applyTemperature, fitTemperature } from './calibrate.ts'
import { type FitOptions, fitHead, type HeadData } from './fit-head.ts'

/**
 * A head's training data as views of photos: `views[v]` holds view v of every photo (photos × dim, the same
 * photo order in each). View 0 is the photo itself; the first `servedViews` views are what the served graph
 * averages its answer over (2 with flip test-time augmentation: the photo and its mirror); the rest are
 * training-only augmentations.
 */
export interface PhotoViews {
  dim: number
  views: readonly Float32Array[]
  servedViews: number
  /** Class index per photo. */
  y: Int32Array
}

export interface CrossValidationOptions {
  folds: number
  seed: number
  /** How every head is trained (the same recipe in every fold and for the refit). */
  fit: Omit<FitOptions, 'seed' | 'stop' | 'resumeFrom' | 'onEpoch'>
  stop: StopSignal
  onFold?: (fold: number, history: EpochRecord[]) => Promise<void> | void
}

export interface CrossValidation {
  folds: number
  /** Fold of each photo. */
  assignment: Int32Array
  /** Each photo's probabilities from the fold model that never saw it, before calibration. */
  outOfFold: Float32Array[]
  /** Each photo's probabilities, calibrated by a temperature fitted on the other folds only. */
  calibratedOutOfFold: Float32Array[]
  /** Best epoch (1-based) of each fold's early stopping. */
  bestEpochs: number[]
  /** What the refit on every photo uses: the median of the folds' best epochs. */
  epochs: number
  /** Fitted on every out-of-fold prediction: the served model's calibration. */
  temperature: number
}

export class TooFewPhotosError extends Error {
  readonly code = 'TOO_FEW_PHOTOS'
  constructor(label: string, count: number, folds: number) {
    super(
      `${count} photo(s) of "${label}" cannot fill ${folds} folds; add photos, or pass --folds with a smaller k.`,
    )
    this.name = 'TooFewPhotosError'
  }
}

/**
 * Stratified k-fold assignment, deterministic per file name and seed: each class is ordered by a hash of
 * the names and dealt round-robin, so every fold holds each class in proportion, and a photo's fold never
 * depends on the order the folder was read in.
 */
export function assignFolds(
  photos: readonly { name: string; label: string }[],
  folds: number,
  seed: number,
): Int32Array {
  const assignment = new Int32Array(photos.length)
  const byLabel = new Map<string, number[]>()
  photos.forEach((p, i) => {
    byLabel.set(p.label, [...(byLabel.get(p.label) ?? []), i])
  })
  // One running offset across classes, so small classes don't all start in fold 0.
  let dealt = 0
  for (const [label, members] of [...byLabel].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (members.length < folds) throw new TooFewPhotosError(label, members.length, folds)
    members.sort((a, b) => hashName(photos[a]!.name, seed) - hashName(photos[b]!.name, seed))
    for (const i of members) assignment[i] = dealt++ % folds
  }
  return assignment
}

/**
 * Nested k-fold cross-validation of the head recipe. For fold f, a head is trained on the other folds but
 * one, which early stopping watches (the fold after f): no photo of fold f is seen by training, by the
 * choice of epoch, or — for its calibrated figure — by the temperature, which is fitted on the other folds'
 * out-of-fold predictions. The fold heads learn from k−2 folds, not k−1: the estimate errs on the side of
 * caution. Their best epochs give the length of the refit on every photo.
 */
export async function crossValidateHead(
  data: PhotoViews,
  /** The photos in `data`'s order: their names place them in folds. */
  files: readonly { name: string; label: string }[],
  options: CrossValidationOptions,
): Promise<CrossValidation> {
  const k = options.folds
  const photos = data.y.length
  const assignment = assignFolds(files, k, options.seed)
  const outOfFold = new Array<Float32Array>(photos)
  const bestEpochs: number[] = []
  for (let fold = 0; fold < k; fold++) {
    options.stop.checkpoint()
    const watch = (fold + 1) % k
    const inFold = (f: number) => indicesWhere(assignment, (a) => a === f)
    const train = indicesWhere(assignment, (a) => a !== fold && a !== watch)
    const fit = await fitHead(
      rowsOf(data, train, data.views.length),
      rowsOf(data, inFold(watch), 1),
      data.dim,
      {
        ...options.fit,
        seed: options.seed + fold,
        stop: options.stop,
      },
    )
    bestEpochs.push(fit.bestEpoch + 1)
    await options.onFold?.(fold, fit.history)
    const held = inFold(fold)
    servedProbabilities(fit.head, data, held).forEach((p, j) => {
      outOfFold[held[j]!] = p
    })
    fit.head.dispose()
  }
  const truth = Array.from(data.y)
  const calibratedOutOfFold = new Array<Float32Array>(photos)
  for (let fold = 0; fold < k; fold++) {
    const others = indicesWhere(assignment, (a) => a !== fold)
    const t = fitTemperature(
      others.map((i) => outOfFold[i]!),
      others.map((i) => truth[i]!),
    )
    for (const i of indicesWhere(assignment, (a) => a === fold)) {
      calibratedOutOfFold[i] = applyTemperature(outOfFold[i]!, t)
    }
  }
  return {
    folds: k,
    assignment,
    outOfFold,
    calibratedOutOfFold,
    bestEpochs,
    epochs: median(bestEpochs),
    temperature: fitTemperature(outOfFold, truth),
  }
}

/** Training rows: the first `viewCount` views of each listed photo. */
export function rowsOf(data: PhotoViews, photos: readonly number[], viewCount: number): HeadData {
  const x = new Float32Array(photos.length * viewCount * data.dim)
  const y = new Int32Array(photos.length * viewCount)
  let row = 0
  for (const view of data.views.slice(0, viewCount)) {
    for (const i of photos) {
      x.set(view.subarray(i * data.dim, (i + 1) * data.dim), row * data.dim)
      y[row++] = data.y[i]!
    }
  }
  return { x, y }
}

/**
 * What the served graph answers for these photos: the head's probabilities averaged over the served views
 * (for a linear head, averaging the two views' probabilities differs from the graph's averaged features by
 * well under the calibration's own noise; both pick the same class whenever the views agree).
 */
export function servedProbabilities(head: tfl.LayersModel, data: PhotoViews, photos: readonly number[]) {
  const sum = photos.map(() => new Float32Array(0))
  for (let v = 0; v < data.servedViews; v++) {
    const rows = rowsOf({ ...data, views: [data.views[v]!] }, photos, 1)
    const out = tf.tidy(() => head.predict(tf.tensor2d(rows.x, [photos.length, data.dim])) as tf.Tensor)
    const flat = out.dataSync() as Float32Array
    out.dispose()
    const classes = flat.length / photos.length
    photos.forEach((_, j) => {
      const p = flat.subarray(j * classes, (j + 1) * classes)
      sum[j] = sum[j]!.length === 0 ? Float32Array.from(p) : sum[j]!.map((s, c) => s + p[c]!)
    })
  }
  return sum.map((p) => p.map((s) => s / data.servedViews))
}

function indicesWhere(values: Int32Array, keep: (v: number) => boolean): number[] {
  const out: number[] = []
  values.forEach((v, i) => {
    if (keep(v)) out.push(i)
  })
  return out
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}
