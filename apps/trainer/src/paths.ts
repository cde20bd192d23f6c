import { homedir } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'

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

/**
 * A path as the trainer prints it: relative to the repository when it is inside it or beside it
 * (../shared), else under ~, else absolute, so logs and published output never name this machine's folders.
 */
export function displayPath(path: string): string {
  const fromRepo = relative(REPO_ROOT, resolve(path))
  if (!fromRepo.startsWith(`..${sep}..`)) return fromRepo || '.'
  const fromHome = relative(homedir(), resolve(path))
  return fromHome.startsWith('..') ? resolve(path) : join('~', fromHome)
}

/**
 * Every absolute path inside a message (an error naming where it looked, say) printed as `displayPath`
 * prints it. URLs are left alone: a path is a `/` that follows no word character, `:` or `/`.
 */
export function displayPathsIn(text: string): string {
  return text.replace(/(?<![\w.:/~])\/[\w.@+~-]+(?:\/[\w.@+~-]+)*\/?/g, (path) => displayPath(path))
}
