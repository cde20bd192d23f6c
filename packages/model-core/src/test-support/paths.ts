import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * The pretrained backbones and real photos kept beside the repository, in `<repo>/../shared`. From
 * packages/model-core/src/test-support the repository root is four levels up. WHISKER_MODELS and
 * WHISKER_DATA, when set, replace the models folder and the photo folder, as they do for the trainer.
 */
const REPO_ROOT = resolve(import.meta.dirname, '../../../..')
const SHARED = resolve(REPO_ROOT, '..', 'shared')

export const MODELS_DIR = process.env.WHISKER_MODELS ?? join(SHARED, 'models')
export const PHOTO_DIR = process.env.WHISKER_DATA ?? join(SHARED, 'datasets', 'dogs-vs-cats', 'train')

// Required, not optional: a missing folder fails the run instead of quietly skipping the real-data tests.
for (const required of [join(MODELS_DIR, 'mobilenet_v2_0.35', 'model.json'), PHOTO_DIR]) {
  if (!existsSync(required))
    throw new Error(`Test data not found at ${required}; set WHISKER_MODELS / WHISKER_DATA.`)
}

/** `count` photos spread evenly over the sorted listing (cats and dogs alike), deterministically. */
export function samplePhotos(count: number): Array<{ name: string; bytes: Uint8Array }> {
  const names = readdirSync(PHOTO_DIR)
    .filter((name) => /\.jpe?g$/i.test(name))
    .sort()
  const step = Math.max(1, Math.floor(names.length / count))
  return names
    .filter((_, i) => i % step === 0)
    .slice(0, count)
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(PHOTO_DIR, name))) }))
}
