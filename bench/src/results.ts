import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type MachineFacts, machineFacts } from './machine.ts'
import { QUICK, RESULTS_DIR, repoRelative } from './paths.ts'

/** One benchmark's output: figures, how they were measured, and what they ran on. */
export interface BenchResult {
  /** File name stem, e.g. "preprocess". */
  suite: string
  title: string
  measuredAt: string
  quick: boolean
  machine: MachineFacts
  /** Human-readable notes on method: inputs, repetitions, baselines. */
  method: string[]
  /** Markdown tables/paragraphs for docs/benchmarks.md, produced by the suite itself. */
  markdown: string
  /** Machine-readable figures. */
  figures: Record<string, unknown>
}

/** Writes bench/results/<suite>.json; returns its path relative to the repository, for the log. */
export async function writeResult(
  result: Omit<BenchResult, 'measuredAt' | 'quick' | 'machine'>,
): Promise<string> {
  const full: BenchResult = {
    ...result,
    measuredAt: new Date().toISOString(),
    quick: QUICK,
    machine: machineFacts(),
  }
  await mkdir(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${result.suite}.json`)
  await writeFile(path, `${JSON.stringify(full, null, 2)}\n`)
  return repoRelative(path)
}

export async function readResults(): Promise<BenchResult[]> {
  const names = (await readdir(RESULTS_DIR).catch(() => [])).filter((n) => n.endsWith('.json')).sort()
  return Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(RESULTS_DIR, n), 'utf8')) as BenchResult),
  )
}
