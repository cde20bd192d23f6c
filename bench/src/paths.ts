import { join, relative, resolve } from 'node:path'
import { parseBenchFlags } from './args.ts'

const FLAGS = parseBenchFlags(process.argv.slice(2))

export const REPO_ROOT = resolve(import.meta.dirname, '../..')
const SHARED = resolve(REPO_ROOT, '..', 'shared')

/** Inputs of every benchmark: flags win, then environment variables, then `../shared`. */
export const BENCH_INPUTS = {
  data: resolve(FLAGS.data ?? process.env.WHISKER_DATA ?? join(SHARED, 'datasets', 'dogs-vs-cats', 'train')),
  models: resolve(FLAGS.models ?? process.env.WHISKER_MODELS ?? join(SHARED, 'models')),
}

/**
 * A path as the published results print it: relative to the repository root (`../shared/models`), so
 * docs/benchmarks.md and bench/results/*.json say where the inputs were without naming this machine's folders.
 */
export const repoRelative = (path: string): string => relative(REPO_ROOT, resolve(path)) || '.'

export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results')
export const DOCS_FILE = join(REPO_ROOT, 'docs', 'benchmarks.md')

/** `--quick` runs a subset in a few minutes; `WHISKER_BENCH_QUICK=1` does the same through turbo. */
export const QUICK = FLAGS.quick || process.env.WHISKER_BENCH_QUICK === '1'
