import { existsSync, statSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  DATA_DIR,
  findChromium,
  labelOf,
  NEXT_TEST_MODEL_DIR,
  requireTestModel,
  TEST_MODEL_DIR,
} from '@whisker/fixtures'
import { build } from 'vite'
import type { TestProject } from 'vitest/node'
import type { E2ePhoto } from './context.ts'
import { writeY4m } from './fake-camera.ts'
import { APP_ROOT, ARTIFACTS_DIR, E2E_DIR, E2E_DIST, E2E_NEXT_DIST } from './paths.ts'
import { startWorker, writeWorkerTsconfig } from './worker.ts'

/**
 * Runs once, in Node, before the browser tests: checks Chromium and the photos are there (failing with a
 * clear message, never skipping), reads the small real model the turbo task `@whisker/trainer#test-model` built, builds the page with that
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
  requireTestModel()

  const card = JSON.parse(await readFile(join(TEST_MODEL_DIR, 'card.json'), 'utf8')) as {
    version: string
    labels: string[]
    estimate: { accuracy: number; accuracyInterval: [number, number]; count: number; folds?: number }
  }
  const split = JSON.parse(await readFile(join(TEST_MODEL_DIR, 'split.json'), 'utf8')) as { val: string[] }
  const photos = split.val.map(
    (name): E2ePhoto => ({ name, label: labelOf(name), path: join(DATA_DIR, name) }),
  )
  for (const label of card.labels) {
    if (!photos.some((p) => p.label === label && existsSync(p.path))) {
      throw new Error(`${TEST_MODEL_DIR}/split.json lists no validation photo of "${label}" in ${DATA_DIR}`)
    }
  }

  // The fake camera films the first validation cat (the photo the page tests label as a cat).
  const filmed = photos.find((p) => p.label === 'cat') as E2ePhoto
  const catVideo = join(E2E_DIR, 'cat.y4m')
  await writeY4m(filmed.path, catVideo)

  await buildPage(TEST_MODEL_DIR, E2E_DIST)
  // A second deployment, with the next model version (offline.e2e.ts serves it at the same origin).
  await buildPage(NEXT_TEST_MODEL_DIR, E2E_NEXT_DIST)
  const tsconfig = await writeWorkerTsconfig(TEST_MODEL_DIR)
  const worker = await startWorker({ tsconfig, assets: E2E_DIST })

  project.provide('baseUrl', worker.url)
  project.provide('chromiumPath', chromiumPath)
  project.provide('photos', photos)
  project.provide('catVideo', catVideo)
  project.provide('nextRelease', {
    dist: E2E_NEXT_DIST,
    modelDir: NEXT_TEST_MODEL_DIR,
    version: (
      JSON.parse(await readFile(join(NEXT_TEST_MODEL_DIR, 'card.json'), 'utf8')) as { version: string }
    ).version,
  })
  project.provide('modelCard', {
    version: card.version,
    labels: card.labels,
    estimate: card.estimate,
  })
  return () => worker.stop()
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
