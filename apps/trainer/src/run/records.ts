/**
 * What a training run leaves in its run directory. Written by `whisker train`, read by the report,
 * `whisker export` and benchmarks, so these shapes are the contract between them.
 *
 *   runs/<id>/
 *     run.json           RunRecord: options, backend, dataset summary, status, timings
 *     history.json/.csv  EpochRecord per epoch
 *     fine-tune-history.json  EpochRecord per fine-tuning epoch (with --fine-tune)
 *     predictions.json   ValidationPrediction per validation photo (from the exported model)
 *     split.json         { train: string[]; val: string[] } file names relative to the dataset
 *                        (validation names relative to --val-data when the run had one)
 *     float32/           the calibrated float32 graph model (model.json, weights.bin, card.json): re-export source
 *     model/             the exported (quantized) model, also written to --out
 *     report.html        the self-contained report
 */
export interface RunRecord {
  id: string
  status: 'running' | 'interrupted' | 'done' | 'failed'
  startedAt: string
  finishedAt?: string
  wallSeconds?: number
  /** The flags the run was started with, so `--resume` and `export` can redo its steps. */
  options: Record<string, unknown>
  backend: { name: string; skipped: { choice: string; reason: string }[] }
  dataset: {
    root: string
    labels: string[]
    classCounts: Record<string, number>
    train: number
    val: number
    /** Files that were not images or could not be decoded, with the reason. */
    skipped: { name: string; reason: string }[]
  }
  /** Absolute path of the exported model directory (--out). */
  modelDir?: string
}

export interface EpochRecord {
  epoch: number
  loss: number
  acc: number
  val_loss: number
  val_acc: number
  lr: number
  seconds: number
}

export interface ValidationPrediction {
  /** File name relative to the dataset root. */
  name: string
  /** Absolute path, for thumbnails. */
  path: string
  /** Index into labels of the true class. */
  truth: number
  /** Class probabilities from the exported model, in label order. */
  probabilities: number[]
}

export const RUN_FILES = {
  run: 'run.json',
  history: 'history.json',
  fineTuneHistory: 'fine-tune-history.json',
  historyCsv: 'history.csv',
  predictions: 'predictions.json',
  split: 'split.json',
  float32: 'float32',
  model: 'model',
  report: 'report.html',
} as const
