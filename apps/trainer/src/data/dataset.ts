import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

/** One labelled photo on disk. */
export interface LabelledFile {
  path: string
  /** File name relative to the dataset root (the key for splits and caches). */
  name: string
  label: string
}

export interface Dataset {
  root: string
  labels: string[]
  files: LabelledFile[]
  /** Entries that were not taken, with the reason (reported, never silently dropped). */
  skipped: { name: string; reason: string }[]
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp)$/i

export class DatasetError extends Error {
  readonly code = 'DATASET_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'DatasetError'
  }
}

/**
 * Reads a labelled folder in either layout: folder-per-class (`cat/x.jpg`) or Kaggle's flat layout,
 * where the label is the file name before the first dot (`cat.12.jpg`).
 */
export async function readDataset(root: string): Promise<Dataset> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new DatasetError(`Cannot read dataset folder ${root}: ${error.code ?? error.message}`)
  })
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'))
  const skipped: Dataset['skipped'] = []
  const files: LabelledFile[] = []
  if (folders.length > 0) {
    for (const folder of folders) {
      for (const entry of await readdir(join(root, folder.name), { withFileTypes: true })) {
        const name = `${folder.name}/${entry.name}`
        if (!entry.isFile() || !IMAGE_EXTENSIONS.test(entry.name))
          skipped.push({ name, reason: 'not an image file' })
        else files.push({ path: join(root, name), name, label: folder.name })
      }
    }
  } else {
    for (const entry of entries) {
      const label = entry.name.split('.')[0] ?? ''
      if (!entry.isFile() || !IMAGE_EXTENSIONS.test(entry.name)) {
        skipped.push({ name: entry.name, reason: 'not an image file' })
      } else if (!label || label === entry.name.replace(IMAGE_EXTENSIONS, '')) {
        skipped.push({ name: entry.name, reason: 'no label prefix (expected label.id.jpg)' })
      } else files.push({ path: join(root, entry.name), name: entry.name, label })
    }
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const labels = [...new Set(files.map((f) => f.label))].sort()
  if (labels.length < 2) {
    throw new DatasetError(
      `${root} holds ${labels.length} class(es); at least 2 labelled classes are needed.`,
    )
  }
  return { root, labels, files, skipped }
}

export function countByLabel(files: readonly LabelledFile[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const f of files) counts[f.label] = (counts[f.label] ?? 0) + 1
  return counts
}
