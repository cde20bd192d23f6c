import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Real photos for the tests: the dogs-vs-cats training set kept beside the repository. From
 * packages/preprocess/src the repository root is three levels up and `shared/` sits beside it.
 * WHISKER_DATA, when set, replaces that photo folder (as it does for the trainer). The photos are
 * required: a missing folder fails the tests rather than skipping them.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const PHOTO_DIR =
  process.env.WHISKER_DATA ?? resolve(SRC, '../../../../shared/datasets/dogs-vs-cats/train')

if (!existsSync(PHOTO_DIR)) throw new Error(`Test photos not found at ${PHOTO_DIR}; set WHISKER_DATA.`)

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
