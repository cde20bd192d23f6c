import { type BackendChoice, type BackendReport, selectBackend } from '../core/backend.ts'
import type { Reporter } from '../core/reporter.ts'
import { countByLabel, type Dataset, DatasetError, type LabelledFile, readDataset } from '../data/dataset.ts'
import { limitPerClass, type Split, splitByName } from '../data/split.ts'
import { RUN_FILES } from '../run/records.ts'
import type { RunDir } from '../run/run-dir.ts'
import type { TrainOptions } from './options.ts'

/** Selects the backend and says which one runs, why faster ones were skipped, and what was set up. */
export async function announceBackend(choice: BackendChoice, reporter: Reporter): Promise<BackendReport> {
  const backend = await selectBackend(choice)
  reporter.info(`backend: ${backend.backend}`, { skipped: backend.skipped, notes: backend.notes })
  for (const note of backend.notes) reporter.info(`  ${note}`)
  return backend
}

export interface PreparedData {
  dataset: Dataset
  /** Label order of the model's outputs: the training folder's classes. */
  labels: string[]
  split: Split
  /** Entries of either folder that were not taken, with the reason. */
  skipped: Dataset['skipped']
}

/**
 * The training and validation photos: `valSplit` of `data` held out by name (deterministic), or every
 * photo of `valData` when a separate validation folder is given. Reports class counts either way.
 */
export async function prepareData(options: TrainOptions, reporter: Reporter): Promise<PreparedData> {
  const dataset = await readDataset(options.data)
  const { split, skipped } = options.valData
    ? await separateValidation(dataset, options.valData)
    : { split: splitByName(dataset.files, options.valSplit, options.seed), skipped: dataset.skipped }
  const limited = options.limitPerClass
    ? limitPerClass(split, options.limitPerClass, options.valSplit)
    : split
  reporter.info(`dataset: ${dataset.files.length} photos in ${dataset.labels.length} classes`, {
    classCounts: countByLabel(dataset.files),
    train: limited.train.length,
    val: limited.val.length,
    skipped: skipped.length,
  })
  return { dataset, labels: dataset.labels, split: limited, skipped }
}

async function separateValidation(train: Dataset, valRoot: string) {
  const val = await readDataset(valRoot)
  const unknown = val.labels.filter((label) => !train.labels.includes(label))
  if (unknown.length > 0) {
    throw new DatasetError(
      `${valRoot} has classes the training folder lacks (${unknown.join(', ')}); ` +
        `the model can only predict ${train.labels.join(', ')}.`,
    )
  }
  return {
    split: { train: train.files, val: val.files },
    skipped: [...train.skipped, ...val.skipped.map((s) => ({ ...s, name: `${valRoot}: ${s.name}` }))],
  }
}

/** Records, once photos are read, what the run trained and validated on and what it skipped. */
export async function recordData(
  run: RunDir,
  backend: BackendReport,
  prepared: PreparedData,
  used: { train: LabelledFile[]; val: LabelledFile[]; unreadable: Dataset['skipped'] },
  options: TrainOptions,
): Promise<void> {
  await run.updateRecord({
    backend: { name: backend.backend, skipped: backend.skipped },
    dataset: {
      root: options.data,
      labels: prepared.labels,
      classCounts: countByLabel(prepared.dataset.files),
      train: used.train.length,
      val: used.val.length,
      skipped: [...prepared.skipped, ...used.unreadable],
    },
  })
  await run.writeJson(RUN_FILES.split, {
    train: used.train.map((f) => f.name),
    val: used.val.map((f) => f.name),
  })
}
