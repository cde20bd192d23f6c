import { readdir } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { DatasetError } from '../data/dataset.ts'
import type { PhotoFile } from './classify-files.ts'

/** The labelled photos name a class the model does not know. */
export class LabelMismatchError extends Error {
  readonly code = 'LABEL_MISMATCH'
  constructor(message: string) {
    super(message)
    this.name = 'LabelMismatchError'
  }
}

/**
 * Every class in the data must be one of the model's labels (the data may hold fewer classes than the
 * model: their one-vs-rest AUC is then undefined and left out).
 */
export function checkLabels(
  root: string,
  dataLabels: readonly string[],
  modelLabels: readonly string[],
): void {
  const unknown = dataLabels.filter((label) => !modelLabels.includes(label))
  if (unknown.length === 0) return
  throw new LabelMismatchError(
    `The photos in ${root} are labelled ${dataLabels.join(', ')}, but the model's labels are ` +
      `${modelLabels.join(', ')}: ${unknown.map((l) => `"${l}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among them`,
  )
}

export interface UnlabelledPhoto extends PhotoFile {
  /** The file name without its extension: Kaggle's id. */
  id: string
}

export interface UnlabelledFolder {
  root: string
  /** Sorted by id, numerically where ids are numbers (2 before 10). */
  photos: UnlabelledPhoto[]
  /** Entries that are not image files (by extension), with the reason. */
  skipped: { name: string; reason: string }[]
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp)$/i

/** The image files directly in a folder (Kaggle's test layout: 1.jpg … 300.jpg). */
export async function readUnlabelledFolder(root: string): Promise<UnlabelledFolder> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new DatasetError(`Cannot read photo folder ${root}: ${error.code ?? error.message}`)
  })
  const photos: UnlabelledPhoto[] = []
  const skipped: UnlabelledFolder['skipped'] = []
  const seen = new Map<string, string>()
  for (const entry of entries) {
    if (!entry.isFile() || !IMAGE_EXTENSIONS.test(entry.name)) {
      skipped.push({ name: entry.name, reason: entry.isDirectory() ? 'a folder' : 'not an image file' })
      continue
    }
    const id = entry.name.slice(0, -extname(entry.name).length)
    const other = seen.get(id)
    if (other) throw new DatasetError(`${root} holds two photos with id ${id}: ${other} and ${entry.name}`)
    seen.set(id, entry.name)
    photos.push({ id, name: entry.name, path: join(root, entry.name) })
  }
  if (photos.length === 0) throw new DatasetError(`${root} holds no photos (.jpg, .jpeg, .png, .webp)`)
  photos.sort((a, b) => compareIds(a.id, b.id))
  return { root, photos, skipped }
}

const collator = new Intl.Collator('en', { numeric: true })

/** Numeric ids in numeric order (2 < 10 < 100); other ids by a numeric-aware collation after them. */
export function compareIds(a: string, b: string): number {
  const numeric = /^\d+$/
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b) || collator.compare(a, b)
  if (numeric.test(a) !== numeric.test(b)) return numeric.test(a) ? -1 : 1
  return collator.compare(a, b)
}
