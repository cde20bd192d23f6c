import type { LabelledFile } from './dataset.ts'

export interface Split {
  train: LabelledFile[]
  val: LabelledFile[]
}

/**
 * Deterministic per file name: a file's side depends only on its name and the seed, so adding photos
 * never moves existing ones between train and validation.
 */
export function splitByName(files: readonly LabelledFile[], valFraction: number, seed: number): Split {
  const ranked = [...files].sort((a, b) => hashName(a.name, seed) - hashName(b.name, seed))
  const isVal = (f: LabelledFile) => hashName(f.name, seed) / 0x1_0000_0000 < valFraction
  return { train: ranked.filter((f) => !isVal(f)), val: ranked.filter(isVal) }
}

/** Keeps at most `perClass` photos of each label, split in the same proportion (for quick runs and tests). */
export function limitPerClass(split: Split, perClass: number, valFraction: number): Split {
  const take = (files: LabelledFile[], n: number) => {
    const seen: Record<string, number> = {}
    return files.filter((f) => {
      seen[f.label] = (seen[f.label] ?? 0) + 1
      return seen[f.label]! <= n
    })
  }
  // A share of 0 (cross-validation, nothing sealed) keeps nothing aside; any other share keeps at least one.
  const valPerClass = valFraction === 0 ? 0 : Math.max(1, Math.round(perClass * valFraction))
  return { train: take(split.train, perClass - valPerClass), val: take(split.val, valPerClass) }
}

/**
 * Up to `count` of the files, the same ones for the same names and seed whatever order they come in,
 * with the classes mixed as they are in the folder.
 */
export function sampleByName<T extends { name: string }>(
  files: readonly T[],
  count: number,
  seed: number,
): T[] {
  return [...files].sort((a, b) => hashName(a.name, seed) - hashName(b.name, seed)).slice(0, count)
}

/** FNV-1a over the name, then a murmur3 finaliser so nearby names land far apart. */
export function hashName(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}
