import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { heatmapRows, loadClassifier, parseModelCard } from '@whisker/model-core'
import { readModelDir } from '@whisker/model-core/training' // its tfjs-layers registers tfjs' gradients
import type { RgbImage } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import type { TestProject } from 'vitest/node'
import { unstable_readConfig } from 'wrangler'
import type { LabelledPhoto } from './context.ts'
import { APP_ROOT, DATA_DIR, REPO_ROOT, TEST_MODEL_DIR } from './paths.ts'
import { encodePng } from './png.ts'

/**
 * Runs once, in Node, before the tests start in workerd. Tests must exercise a real trained model, not a
 * stub, so this trains a small one with the real trainer CLI the first time (about a minute; cached in
 * .test-model/ afterwards, delete the folder to retrain), then hands the tests its validation photos —
 * photos the model never saw in training — because code inside workerd cannot read files.
 */
export default async function setup(project: TestProject): Promise<void> {
  if (!(await usableTestModel())) await trainTestModel()

  const split = JSON.parse(await readFile(join(TEST_MODEL_DIR, 'split.json'), 'utf8')) as { val: string[] }
  const card = parseModelCard(JSON.parse(await readFile(join(TEST_MODEL_DIR, 'card.json'), 'utf8')))
  const photos = await Promise.all(
    split.val.map(
      async (name): Promise<LabelledPhoto> => ({
        name,
        label: labelOf(name),
        base64: (await readFile(join(DATA_DIR, name))).toString('base64'),
      }),
    ),
  )
  const first = photos[0]
  if (!first) throw new Error(`${TEST_MODEL_DIR}/split.json lists no validation photos`)
  const decoded = await decodeImage(Buffer.from(first.base64, 'base64'))
  const png = await encodePng(decoded)

  project.provide('validationPhotos', photos)
  project.provide('validationPngHeatmap', await heatmapInNode(decoded))
  project.provide('validationPng', { ...first, name: first.name.replace(/\.\w+$/, '.png'), base64: b64(png) })
  project.provide('trainerValAccuracy', card.metrics.valAccuracy)
  project.provide('rateLimit', rateLimitOfDevEnvironment())
}

/** The `dev` environment's rate-limiting binding, as wrangler reads it: the tests exhaust exactly this. */
function rateLimitOfDevEnvironment(): { limit: number; period: number } {
  const config = unstable_readConfig({ config: join(APP_ROOT, 'wrangler.jsonc'), env: 'dev' })
  // Typed here: wrangler's own declaration of Config comes from a package that is not installed.
  const ratelimits: { name: string; simple: { limit: number; period: number } }[] = config.ratelimits
  const binding = ratelimits.find((r) => r.name === 'RATE_LIMITER')
  if (!binding) throw new Error('wrangler.jsonc env.dev has no RATE_LIMITER in `ratelimits`')
  return { limit: binding.simple.limit, period: binding.simple.period }
}

/**
 * The trainer's heatmap for a photo, computed here in Node through the same model-core code on tfjs wasm:
 * the tests check the Worker draws the same grid for the same pixels (the PNG fixture, lossless).
 */
async function heatmapInNode(image: RgbImage): Promise<{ label: string; method: string; grid: number[][] }> {
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm did not start in the global setup')
  const classifier = await loadClassifier(await readModelDir(TEST_MODEL_DIR))
  try {
    const { heatmap } = await classifier.explain(image)
    return { label: heatmap.label, method: heatmap.method, grid: heatmapRows(heatmap) }
  } finally {
    classifier.dispose()
  }
}

/**
 * All files present and a card the current schema accepts, saying how to explain (a model left by an
 * older trainer is retrained).
 */
async function usableTestModel(): Promise<boolean> {
  const files = ['model.json', 'weights.bin', 'card.json', 'split.json']
  if (!files.every((f) => existsSync(join(TEST_MODEL_DIR, f)))) return false
  try {
    const card = parseModelCard(JSON.parse(await readFile(join(TEST_MODEL_DIR, 'card.json'), 'utf8')))
    // Models from before heatmaps or estimates existed are retrained.
    return card.explain !== undefined && card.estimate !== undefined
  } catch {
    return false
  }
}

async function trainTestModel(): Promise<void> {
  const args = [
    join(REPO_ROOT, 'apps/trainer/src/cli.ts'),
    'train',
    ['--data', DATA_DIR],
    ['--limit-per-class', '60'],
    // Sealed before any choice: the tests classify photos the model never trained or chose anything on.
    ['--val-split', '0.2'],
    // A hidden layer, so heatmaps take the Grad-CAM path (the default linear head's CAM is its special case).
    ['--hidden', '16'],
    ['--epochs', '20'],
    ['--no-fine-tune'], // the head alone: a test model in seconds
    ['--no-cache'], // a test run must not fill the user's embedding cache
    ['--runs', join(tmpdir(), 'whisker-test-runs')], // nor the repository's runs/
    ['--out', TEST_MODEL_DIR],
  ].flat()
  console.log(`Training the test model into ${TEST_MODEL_DIR} (once; delete the folder to retrain)…`)
  const child = spawn(process.execPath, args, { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d))
  child.stderr.on('data', (d: Buffer) => (output += d))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  if (code !== 0) throw new Error(`Training the test model failed (exit ${code}):\n${output}`)
  console.log(output.trim().split('\n').slice(-4).join('\n'))
}

/** Kaggle's flat layout names files `label.id.jpg`; folder-per-class datasets list them as `label/x.jpg`. */
function labelOf(name: string): string {
  return name.includes('/') ? name.slice(0, name.indexOf('/')) : name.slice(0, name.indexOf('.'))
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
