import { join, resolve } from 'node:path'

/** Repository root: the trainer lives at apps/trainer/src. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..')

/** `../shared` beside the repository holds the datasets and pretrained backbones. */
const SHARED = resolve(REPO_ROOT, '..', 'shared')

export const DEFAULTS = {
  data: process.env.WHISKER_DATA ?? join(SHARED, 'datasets', 'dogs-vs-cats', 'train'),
  models: process.env.WHISKER_MODELS ?? join(SHARED, 'models'),
  /** Run directories: history, checkpoints, the float32 graph, report.html. Git-ignored. */
  runs: process.env.WHISKER_RUNS ?? join(REPO_ROOT, 'runs'),
  /** The Worker bundles whatever is here. */
  out: join(REPO_ROOT, 'apps', 'edge-api', 'model'),
}
