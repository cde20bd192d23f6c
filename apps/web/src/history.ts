/**
 * The list of recent results: most recent first, capped, kept in `sessionStorage` so it survives a reload
 * but not the end of the tab. Everything read back from storage is validated; a broken or foreign value
 * is dropped, never trusted.
 */

export const RECENT_LIMIT = 10
export const RECENT_KEY = 'whisker.recent.v1'

/** Where a photo was classified. */
export type Where = 'server' | 'device'

export interface RecentEntry {
  /** The file name as chosen. */
  readonly name: string
  /** The model's label (raw, e.g. `golden_retriever`). */
  readonly label: string
  /** In [0, 1]. */
  readonly confidence: number
  readonly latencyMs: number
  readonly where: Where
  /** When it was classified, ms since the epoch. */
  readonly at: number
  /** A small JPEG `data:` URL. */
  readonly thumbnail?: string
}

/** `entries` in the order they finished; returns the new list, newest first, at most `limit` long. */
export function addRecent(
  list: readonly RecentEntry[],
  entries: readonly RecentEntry[],
  limit = RECENT_LIMIT,
): RecentEntry[] {
  return [...[...entries].reverse(), ...list].slice(0, Math.max(0, limit))
}

type JsonObject = Record<string, unknown>

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** Only small JPEG/PNG/WebP data URLs are shown back as images. */
const isThumbnail = (value: unknown): value is string =>
  typeof value === 'string' && /^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/=]+$/.test(value)

function parseEntry(value: unknown): RecentEntry | undefined {
  if (!isObject(value)) return undefined
  const { name, label, confidence, latencyMs, where, at, thumbnail } = value
  if (typeof name !== 'string' || typeof label !== 'string' || label === '') return undefined
  if (!finite(confidence) || confidence < 0 || confidence > 1) return undefined
  if (!finite(latencyMs) || latencyMs < 0 || !finite(at)) return undefined
  if (where !== 'server' && where !== 'device') return undefined
  const entry: RecentEntry = { name, label, confidence, latencyMs, where: where as Where, at }
  return isThumbnail(thumbnail) ? { ...entry, thumbnail } : entry
}

/** Reads a stored list. Never throws: anything unreadable counts as an empty list, bad entries are dropped. */
export function parseRecent(raw: string | null | undefined, limit = RECENT_LIMIT): RecentEntry[] {
  if (raw === null || raw === undefined) return []
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return []
  }
  if (!Array.isArray(value)) return []
  return value
    .map(parseEntry)
    .filter((entry) => entry !== undefined)
    .slice(0, limit)
}

/** The subset of the Web Storage API used here, so tests can pass a fake. */
export type RecentStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/** Storage can be missing or throw (disabled cookies, private modes, a sandboxed frame). */
export function loadRecent(storage: RecentStorage | undefined): RecentEntry[] {
  try {
    return parseRecent(storage?.getItem(RECENT_KEY))
  } catch {
    return []
  }
}

/**
 * Stores the list; when the quota is exceeded it tries again without thumbnails. Returns whether the list
 * was stored. Never throws: the page works the same without storage, it just forgets on reload.
 */
export function saveRecent(storage: RecentStorage | undefined, list: readonly RecentEntry[]): boolean {
  if (storage === undefined) return false
  const attempts = [list, list.map(({ thumbnail: _, ...entry }) => entry)]
  for (const attempt of attempts) {
    try {
      if (attempt.length === 0) storage.removeItem(RECENT_KEY)
      else storage.setItem(RECENT_KEY, JSON.stringify(attempt))
      return true
    } catch {
      // quota exceeded or storage disabled: try the smaller form, then give up
    }
  }
  return false
}
