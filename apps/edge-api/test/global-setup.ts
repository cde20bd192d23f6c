import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-wasm'
import { WORKER_MAX_PIXELS, WORKER_MAX_UNSCALED_PIXELS } from '@whisker/api-contract'
import { DATA_DIR, labelOf, requireTestModel, TEST_MODEL_DIR } from '@whisker/fixtures'
import { heatmapRows, loadClassifier, parseModelCard } from '@whisker/model-core'
import { readModelDir } from '@whisker/model-core/training' // its tfjs-layers registers tfjs' gradients
import type { RgbImage } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import sharp from 'sharp'
import type { TestProject } from 'vitest/node'
import { unstable_readConfig } from 'wrangler'
import type { LabelledPhoto } from './context.ts'
import { APP_ROOT } from './paths.ts'
import { encodePng } from './png.ts'

/**
 * Runs once, in Node, before the tests start in workerd. Tests must exercise a real trained model, not a
 * stub, so this reads the small one the turbo task `@whisker/trainer#test-model` trained, then hands the tests its validation photos —
 * photos the model never saw in training — because code inside workerd cannot read files.
 */
export default async function setup(project: TestProject): Promise<void> {
  requireTestModel()

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
  project.provide('largestPhotos', await largestPhotos(Buffer.from(first.base64, 'base64')))
}

/**
 * The largest images the Worker accepts, made here from a validation photo with sharp (never committed):
 * a 16 MP baseline JPEG (decoded scaled) and, at the unscaled budget, a progressive 4:4:4 JPEG (the
 * heaviest progressive form: 6 bytes of coefficients a pixel), a PNG and a lossy WebP.
 */
async function largestPhotos(bytes: Uint8Array): Promise<Record<string, string>> {
  const side = (pixels: number) => ({ width: Math.floor(Math.sqrt((pixels * 4) / 3)), ratio: 3 / 4 })
  const resized = (pixels: number) => {
    const { width, ratio } = side(pixels)
    return sharp(bytes).resize(width, Math.floor(width * ratio), { fit: 'fill' })
  }
  const encoded = {
    'JPEG 16 MP baseline': resized(WORKER_MAX_PIXELS).jpeg({ quality: 90 }),
    'JPEG 3 MP progressive 4:4:4': resized(WORKER_MAX_UNSCALED_PIXELS).jpeg({
      quality: 90,
      progressive: true,
      chromaSubsampling: '4:4:4',
    }),
    'PNG 3 MP': resized(WORKER_MAX_UNSCALED_PIXELS).png({ compressionLevel: 1 }),
    'WebP 3 MP': resized(WORKER_MAX_UNSCALED_PIXELS).webp({ quality: 80 }),
  }
  const out: Record<string, string> = {}
  for (const [name, pipeline] of Object.entries(encoded))
    out[name] = (await pipeline.toBuffer()).toString('base64')
  return out
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

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
