import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseModelCard as parseFullCard } from '@whisker/model-core'
import { build } from 'vite'
import type { TestProject } from 'vitest/node'
import { findChromium } from './chromium.ts'
import type { E2ePhoto } from './context.ts'
import { writeY4m } from './fake-camera.ts'
import {
  APP_ROOT,
  ARTIFACTS_DIR,
  DATA_DIR,
  E2E_DIR,
  E2E_DIST,
  E2E_MODEL_DIR,
  E2E_NEXT_DIST,
  E2E_NEXT_MODEL_DIR,
  E2E_RUNS_DIR,
  REPO_ROOT,
} from './paths.ts'
import { startWorker, writeWorkerTsconfig } from './worker.ts'

/**
 * Runs once, in Node, before the browser tests: checks Chromium and the photos are there (failing with a
 * clear message, never skipping), trains a small real model the first time, builds the page with that
 * model for on-device use, and starts the Worker under `wrangler dev` with that model bundled. The
 * returned teardown stops the Worker and makes sure no workerd is left behind.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromiumPath = findChromium()
  if (!existsSync(DATA_DIR) || !statSync(DATA_DIR).isDirectory()) {
    throw new Error(
      `The end-to-end tests need labelled photos and found no folder at ${DATA_DIR}. Set WHISKER_DATA to a ` +
        'folder of photos (cat.*.jpg, dog.*.jpg, or one sub-folder per class).',
    )
  }
  await mkdir(E2E_DIR, { recursive: true })
  await mkdir(ARTIFACTS_DIR, { recursive: true })
  if (!(await usableModel())) await trainModel()
  if (!(await usableModel(E2E_NEXT_MODEL_DIR))) await exportNextModel()

  const card = JSON.parse(await readFile(join(E2E_MODEL_DIR, 'card.json'), 'utf8')) as {
    version: string
    labels: string[]
    estimate: { accuracy: number; accuracyInterval: [number, number]; count: number; folds?: number }
  }
  const split = JSON.parse(await readFile(join(E2E_MODEL_DIR, 'split.json'), 'utf8')) as { val: string[] }
  const photos = split.val.map(
    (name): E2ePhoto => ({ name, label: labelOf(name), path: join(DATA_DIR, name) }),
  )
  for (const label of card.labels) {
    if (!photos.some((p) => p.label === label && existsSync(p.path))) {
      throw new Error(`${E2E_MODEL_DIR}split.json lists no validation photo of "${label}" in ${DATA_DIR}`)
    }
  }

  // The fake camera films the first validation cat (the photo the page tests label as a cat).
  const filmed = photos.find((p) => p.label === 'cat') as E2ePhoto
  const catVideo = join(E2E_DIR, 'cat.y4m')
  await writeY4m(filmed.path, catVideo)

  await buildPage(E2E_MODEL_DIR, E2E_DIST)
  // A second deployment, with the next model version (offline.e2e.ts serves it at the same origin).
  await buildPage(E2E_NEXT_MODEL_DIR, E2E_NEXT_DIST)
  const tsconfig = await writeWorkerTsconfig(E2E_MODEL_DIR)
  const worker = await startWorker({ tsconfig, assets: E2E_DIST })

  project.provide('baseUrl', worker.url)
  project.provide('chromiumPath', chromiumPath)
  project.provide('photos', photos)
  project.provide('catVideo', catVideo)
  project.provide('nextRelease', {
    dist: E2E_NEXT_DIST,
    modelDir: E2E_NEXT_MODEL_DIR,
    version: (
      JSON.parse(await readFile(join(E2E_NEXT_MODEL_DIR, 'card.json'), 'utf8')) as { version: string }
    ).version,
  })
  project.provide('modelCard', {
    version: card.version,
    labels: card.labels,
    estimate: card.estimate,
  })
  return () => worker.stop()
}

/**
 * All files there and a card the current schema accepts, saying how to explain (a model left by an older
 * trainer is retrained).
 */
async function usableModel(dir = E2E_MODEL_DIR): Promise<boolean> {
  const files = ['model.json', 'weights.bin', 'card.json']
  if (dir === E2E_MODEL_DIR) files.push('split.json')
  if (!files.every((file) => existsSync(join(dir, file)))) return false
  if (dir === E2E_MODEL_DIR && !existsSync(E2E_RUNS_DIR)) return false // from before the run was kept
  try {
    const card = parseFullCard(JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')))
    // Models from before heatmaps or estimates existed are retrained.
    return card.explain !== undefined && card.estimate !== undefined
  } catch {
    return false
  }
}

/** `vite build` of the page into `outDir`, carrying `modelDir` at /model/ for the on-device switch. */
async function buildPage(modelDir: string, outDir: string): Promise<void> {
  const previous = process.env.WHISKER_WEB_MODEL_DIR
  const nodeEnv = process.env.NODE_ENV
  process.env.WHISKER_WEB_MODEL_DIR = modelDir // read by vite.config.ts
  // Vitest sets NODE_ENV=test, which would make this a development build (import.meta.env.PROD false, no
  // service worker registered, Workbox's debug build): the tests must run what `vite build` ships.
  process.env.NODE_ENV = 'production'
  try {
    await build({
      root: APP_ROOT,
      configFile: join(APP_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      mode: 'production',
      build: { outDir, emptyOutDir: true },
    })
  } finally {
    if (previous === undefined) delete process.env.WHISKER_WEB_MODEL_DIR
    else process.env.WHISKER_WEB_MODEL_DIR = previous
    process.env.NODE_ENV = nodeEnv
  }
}

/** The real trainer CLI, small settings: a few seconds. */
async function trainModel(): Promise<void> {
  const args = [
    join(REPO_ROOT, 'apps/trainer/src/cli.ts'),
    'train',
    ['--data', DATA_DIR],
    ['--limit-per-class', '60'],
    // Sealed before any choice: the tests classify photos the model never trained or chose anything on.
    ['--val-split', '0.2'],
    ['--epochs', '20'],
    ['--no-fine-tune'], // the head alone: a test model in seconds
    ['--no-cache'], // a test run must not fill the user's embedding cache
    ['--runs', E2E_RUNS_DIR], // kept (git-ignored), so exportNextModel can re-export it
    ['--out', E2E_MODEL_DIR],
  ].flat()
  console.log(`Training the e2e model into ${E2E_MODEL_DIR} (once; delete the folder to retrain)…`)
  await trainer(args, 'Training the e2e model')
}

/**
 * The next model version without a second training: the same run re-exported by the real CLI as float16,
 * which gives other weights bytes and so another version and content hash.
 */
async function exportNextModel(): Promise<void> {
  const [run] = readdirSync(E2E_RUNS_DIR).sort().reverse()
  if (run === undefined) throw new Error(`no training run in ${E2E_RUNS_DIR}`)
  const args = [
    join(REPO_ROOT, 'apps/trainer/src/cli.ts'),
    'export',
    ['--run', join(E2E_RUNS_DIR, run)],
    ['--quantize', 'float16'],
    ['--out', E2E_NEXT_MODEL_DIR],
  ].flat()
  await trainer(args, 'Exporting the next e2e model version')
}

/** Runs the trainer CLI, failing with its output. */
async function trainer(args: string[], what: string): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d))
  child.stderr.on('data', (d: Buffer) => (output += d))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${output}`)
}

/** Kaggle's flat layout names files `label.id.jpg`; folder-per-class datasets list them as `label/x.jpg`. */
function labelOf(name: string): string {
  return name.includes('/') ? name.slice(0, name.indexOf('/')) : name.slice(0, name.indexOf('.'))
}
