/** Several photos at once: how many are taken, and how many are in flight together. */

/** At most this many photos per pick, drop or paste; the rest are left out, with a note saying so. */
export const MAX_BATCH = 12
/** Photos classified at the same time: enough to hide latency, few enough not to hog a phone's uplink. */
export const CONCURRENCY = 3

/** The first `max` files of a FileList, DataTransfer files or any list; `dropped` counts the rest. */
export function takeFiles<T>(
  files: ArrayLike<T> | Iterable<T> | null | undefined,
  max = MAX_BATCH,
): { files: T[]; dropped: number } {
  const all = files ? Array.from(files) : []
  return { files: all.slice(0, max), dropped: Math.max(0, all.length - max) }
}

/**
 * `work` on every item, at most `limit` at a time, results in the order of `items`. `work` should not
 * throw (the page turns every failure into an outcome); if it does, the first error rejects the whole.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T, index)
    }
  }
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane)
  await Promise.all(lanes)
  return results
}

/**
 * Groups items, by byte size, into requests of at most `maxCount` items and `maxBytes` bytes (each item
 * counted with `overhead` for its multipart headers), keeping their order. An item too big to share a
 * request gets one of its own; the caller refuses items over the limit on their own beforehand.
 */
export function packBatches(
  sizes: readonly number[],
  maxBytes: number,
  maxCount: number,
  overhead = 512,
): number[][] {
  const groups: number[][] = []
  let group: number[] = []
  let bytes = 0
  sizes.forEach((size, index) => {
    const cost = size + overhead
    if (group.length > 0 && (group.length >= maxCount || bytes + cost > maxBytes)) {
      groups.push(group)
      group = []
      bytes = 0
    }
    group.push(index)
    bytes += cost
  })
  if (group.length > 0) groups.push(group)
  return groups
}

/** How one item of {@link classifyInBatches} ended. */
export type ItemOutcome<V, E> =
  | { readonly ok: true; readonly value: V; readonly latencyMs: number; readonly batchSize: number }
  | { readonly ok: false; readonly error: E }

/** What a request for several items resolves to (the API client's Outcome, for an array). */
export type BatchOutcome<V, E> =
  | { readonly ok: true; readonly value: readonly V[]; readonly latencyMs: number }
  | { readonly ok: false; readonly error: E }

/**
 * Sends each group of `groups` (indexes into `items`) as one request, one group after another. The Worker
 * fails a whole batch when one image is bad and names it by `index`: that item gets the error and the rest
 * of its group is sent again without it. Any other failure (offline, rate limited, a 500) is the answer for
 * every item still waiting in that group.
 */
export async function classifyInBatches<T, V, E extends { readonly kind: string; readonly index?: number }>(
  items: readonly T[],
  groups: readonly (readonly number[])[],
  send: (batch: T[]) => Promise<BatchOutcome<V, E>>,
  signal?: AbortSignal,
): Promise<(ItemOutcome<V, E> | undefined)[]> {
  const results = new Array<ItemOutcome<V, E> | undefined>(items.length)
  for (const group of groups) {
    const pending = [...group]
    while (pending.length > 0 && !signal?.aborted) {
      const outcome = await send(pending.map((i) => items[i] as T))
      if (outcome.ok) {
        pending.forEach((item, k) => {
          const value = outcome.value[k] as V
          results[item] = { ok: true, value, latencyMs: outcome.latencyMs, batchSize: pending.length }
        })
        break
      }
      const { index } = outcome.error
      if (pending.length > 1 && index !== undefined && index < pending.length) {
        const [bad] = pending.splice(index, 1)
        results[bad as number] = { ok: false, error: outcome.error }
        continue
      }
      for (const item of pending) results[item] = { ok: false, error: outcome.error }
      break
    }
  }
  return results
}
