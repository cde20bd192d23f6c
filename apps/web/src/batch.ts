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
