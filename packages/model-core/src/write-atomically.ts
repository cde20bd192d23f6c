import { randomUUID } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Writes beside the target, then renames: a reader never sees half a file, a failure leaves none. */
export async function writeAtomically(path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  // Unique per call, not per process: threads of one process and hosts sharing a folder (same pid) may write
  // the same path at once; each must rename its own whole file.
  const staging = `${path}.tmp-${randomUUID()}`
  try {
    await writeFile(staging, text)
    await rename(staging, path)
  } catch (error) {
    await rm(staging, { force: true })
    throw error
  }
}

/**
 * Fills a fresh folder beside `dir`, then puts it in `dir`'s place: a crash mid-write never leaves a half
 * folder where a good one was, or one a cache would take for complete. A failed fill leaves nothing.
 */
export async function writeFolderAtomically(
  dir: string,
  fill: (staging: string) => Promise<void>,
): Promise<void> {
  const staging = `${dir}.tmp-${randomUUID()}`
  await mkdir(staging, { recursive: true })
  try {
    await fill(staging)
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    throw error
  }
  await rm(dir, { recursive: true, force: true })
  await rename(staging, dir)
}
