import type { RecentStorage } from '../history.ts'

/** A Map-backed Storage; `quota` makes setItem throw for values longer than that, as browsers do. */
export function fakeStorage(quota = Number.POSITIVE_INFINITY) {
  const items = new Map<string, string>()
  const storage: RecentStorage = {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      if (value.length > quota) throw new DOMException('full', 'QuotaExceededError')
      items.set(key, value)
    },
    removeItem: (key) => {
      items.delete(key)
    },
  }
  return { storage, items }
}
