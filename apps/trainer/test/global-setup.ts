import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A small model trained by `whisker train` on real photos for this test run (model.json, card.json …). */
    trainedModel: string
    /** The run directory that training wrote (run.json, history.json, predictions.json, model/). */
    trainedRun: string
  }
}

/** Git-ignored (`.whisker/`). Each test run trains into its own sub-folder, so concurrent runs never collide. */
const ROOT = resolve(import.meta.dirname, '..', '.whisker', 'test-model')
const STALE_MS = 60 * 60 * 1000

/**
 * Trains one small real model before the tests that need one (evaluate, predict, report), so they share
 * it instead of each training their own: 40 photos per class, 10 epochs, float16, no embedding cache.
 * It is trained afresh on every run, so the tests always exercise what `whisker train` makes now, and
 * removed afterwards with every test's scratch folder (folders left by killed runs are removed after an
 * hour).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  for (const entry of await readdir(ROOT).catch(() => [])) {
    const info = await stat(join(ROOT, entry)).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > STALE_MS)
      await rm(join(ROOT, entry), { recursive: true, force: true })
  }
  const dir = join(ROOT, `run-${process.pid}`)
  await rm(dir, { recursive: true, force: true })
  // The tests' scratch folders (`mkdtemp(tmpdir())`: runs, models, caches) and those of the CLIs they start
  // go into one folder of this run's, through TMPDIR, which the test workers inherit: removed when the run
  // ends instead of piling up. Outside the repository, as the system's temporary folder is: the CLI prints
  // paths inside the repository relative to it, and the tests read what it prints for folders outside.
  const scratch = await mkdtemp(join(tmpdir(), 'whisker-tests-'))
  process.env.TMPDIR = scratch
  const model = join(dir, 'model')
  const runs = join(dir, 'runs')
  const cli = resolve(import.meta.dirname, '..', 'src', 'cli.ts')
  // A sealed share (--val-split): evaluate's tests classify photos the model never trained or chose on.
  const args = [
    // --hidden 16: a head with a hidden layer, so heatmaps go the Grad-CAM way (the default linear head's CAM
    // is its special case, covered by train.test.ts and model-core).
    ...['train', '--limit-per-class', '40', '--epochs', '10', '--val-split', '0.2', '--hidden', '16'],
    ...['--no-cache', '--quantize', 'float16', '--no-fine-tune'],
  ]
  await promisify(execFile)(process.execPath, [cli, ...args, '--out', model, '--runs', runs], {
    timeout: 400_000,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`Training the test model failed: ${error.stderr || error.message}`)
  })
  const [run] = await readdir(runs)
  if (!run) throw new Error(`whisker train wrote no run directory under ${runs}`)
  project.provide('trainedModel', model)
  project.provide('trainedRun', join(runs, run))
  return async () => {
    await rm(dir, { recursive: true, force: true })
    await rm(scratch, { recursive: true, force: true })
  }
}
