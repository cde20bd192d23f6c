import { describe, expect, it } from 'vitest'
import { MAX_BATCH, mapLimited, takeFiles } from './batch.ts'

describe('takeFiles', () => {
  it('takes every file of a small pick, in order', () => {
    expect(takeFiles(['a', 'b'])).toEqual({ files: ['a', 'b'], dropped: 0 })
  })

  it(`keeps the first ${MAX_BATCH} and counts the rest`, () => {
    const many = Array.from({ length: MAX_BATCH + 3 }, (_, i) => i)
    const { files, dropped } = takeFiles(many)
    expect(files).toEqual(many.slice(0, MAX_BATCH))
    expect(dropped).toBe(3)
  })

  it('accepts array-likes such as a FileList, and nothing at all', () => {
    expect(takeFiles({ length: 2, 0: 'x', 1: 'y' })).toEqual({ files: ['x', 'y'], dropped: 0 })
    expect(takeFiles(null)).toEqual({ files: [], dropped: 0 })
    expect(takeFiles(undefined)).toEqual({ files: [], dropped: 0 })
  })
})

/** Resolves when `release()` is called, so a test controls when each piece of work finishes. */
function gate() {
  let release!: () => void
  const done = new Promise<void>((resolve) => {
    release = resolve
  })
  return { done, release }
}

describe('mapLimited', () => {
  it('returns results in the order of the items, whatever order the work finishes in', async () => {
    const delays = [30, 5, 15, 0]
    const results = await mapLimited(delays, 2, async (ms, i) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return `${i}:${ms}`
    })
    expect(results).toEqual(['0:30', '1:5', '2:15', '3:0'])
  })

  it('never runs more than `limit` at once, and starts the next as soon as one finishes', async () => {
    const gates = Array.from({ length: 5 }, gate)
    const started: number[] = []
    const all = mapLimited(gates, 2, async (g, i) => {
      started.push(i)
      await g.done
      return i
    })
    await Promise.resolve()
    expect(started).toEqual([0, 1])
    gates[1]?.release()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(started).toEqual([0, 1, 2])
    for (const g of gates) g.release()
    expect(await all).toEqual([0, 1, 2, 3, 4])
  })

  it('handles no items and a limit above the number of items', async () => {
    expect(await mapLimited([], 3, async () => 1)).toEqual([])
    expect(await mapLimited([1, 2], 10, async (n) => n * 2)).toEqual([2, 4])
  })

  it('treats a limit below 1 as 1', async () => {
    let running = 0
    let peak = 0
    await mapLimited([1, 2, 3], 0, async () => {
      running++
      peak = Math.max(peak, running)
      await new Promise((resolve) => setTimeout(resolve, 1))
      running--
    })
    expect(peak).toBe(1)
  })
})
