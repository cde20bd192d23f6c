import { describe, expect, it } from 'vitest'
import {
  addRecent,
  loadRecent,
  parseRecent,
  RECENT_KEY,
  RECENT_LIMIT,
  type RecentEntry,
  type RecentStorage,
  saveRecent,
} from './history.ts'
import { fakeStorage } from './test-support/storage.ts'

const entry = (n: number, extra: Partial<RecentEntry> = {}): RecentEntry => ({
  name: `photo-${n}.jpg`,
  label: n % 2 === 0 ? 'cat' : 'dog',
  confidence: 0.9,
  latencyMs: 40 + n,
  where: 'server',
  at: 1_764_000_000_000 + n,
  ...extra,
})

const thumb = 'data:image/jpeg;base64,/9j/4AAQSkZJRg=='

describe('addRecent', () => {
  it('puts the newest first: a batch finishing a, b, c lists c, b, a above older results', () => {
    const older = [entry(1)]
    const list = addRecent(older, [entry(2), entry(3), entry(4)])
    expect(list.map((e) => e.name)).toEqual(['photo-4.jpg', 'photo-3.jpg', 'photo-2.jpg', 'photo-1.jpg'])
  })

  it(`keeps at most ${RECENT_LIMIT}, dropping the oldest`, () => {
    let list: RecentEntry[] = []
    for (let n = 0; n < 25; n++) list = addRecent(list, [entry(n)])
    expect(list).toHaveLength(RECENT_LIMIT)
    expect(list[0]?.name).toBe('photo-24.jpg')
    expect(list.at(-1)?.name).toBe('photo-15.jpg')
  })

  it('does not change the lists it is given', () => {
    const older = [entry(1)]
    const batch = [entry(2), entry(3)]
    addRecent(older, batch, 2)
    expect(older).toEqual([entry(1)])
    expect(batch).toEqual([entry(2), entry(3)])
  })
})

describe('parseRecent', () => {
  it('reads back what was stored', () => {
    const list = [entry(2, { thumbnail: thumb, where: 'device' }), entry(1)]
    expect(parseRecent(JSON.stringify(list))).toEqual(list)
  })

  it('treats missing, unparsable or non-list values as an empty list', () => {
    expect(parseRecent(null)).toEqual([])
    expect(parseRecent(undefined)).toEqual([])
    expect(parseRecent('{not json')).toEqual([])
    expect(parseRecent('{"name":"x"}')).toEqual([])
  })

  it('drops entries that are malformed instead of trusting them', () => {
    const good = entry(1)
    const stored = [
      good,
      { ...good, confidence: 1.5 },
      { ...good, label: '' },
      { ...good, where: 'cloud' },
      { ...good, latencyMs: 'fast' },
      { ...good, name: undefined },
      'photo.jpg',
      null,
    ]
    expect(parseRecent(JSON.stringify(stored))).toEqual([good])
  })

  it('keeps only image data URLs as thumbnails (never a remote or script URL)', () => {
    const stored = [
      entry(1, { thumbnail: 'https://example.com/track.gif' }),
      entry(2, { thumbnail: 'javascript:alert(1)' }),
      entry(3, { thumbnail: 'data:image/svg+xml;base64,PHN2Zz4=' }),
    ]
    for (const parsed of parseRecent(JSON.stringify(stored))) expect(parsed).not.toHaveProperty('thumbnail')
  })

  it('caps a stored list that is longer than the limit', () => {
    const stored = Array.from({ length: 30 }, (_, n) => entry(n))
    expect(parseRecent(JSON.stringify(stored))).toHaveLength(RECENT_LIMIT)
  })
})

describe('saveRecent and loadRecent', () => {
  it('round-trips a list through storage', () => {
    const { storage } = fakeStorage()
    const list = [entry(2, { thumbnail: thumb }), entry(1)]
    expect(saveRecent(storage, list)).toBe(true)
    expect(loadRecent(storage)).toEqual(list)
  })

  it('removes the key when the list is cleared', () => {
    const { storage, items } = fakeStorage()
    saveRecent(storage, [entry(1)])
    saveRecent(storage, [])
    expect(items.has(RECENT_KEY)).toBe(false)
  })

  it('stores the list without thumbnails when they do not fit', () => {
    const { storage } = fakeStorage(400)
    const list = [entry(2, { thumbnail: `data:image/jpeg;base64,${'A'.repeat(500)}` }), entry(1)]
    expect(saveRecent(storage, list)).toBe(true)
    expect(loadRecent(storage)).toEqual([entry(2), entry(1)])
  })

  it('gives up quietly when nothing fits or there is no storage', () => {
    const { storage } = fakeStorage(10)
    expect(saveRecent(storage, [entry(1)])).toBe(false)
    expect(saveRecent(undefined, [entry(1)])).toBe(false)
    expect(loadRecent(undefined)).toEqual([])
  })

  it('survives a storage that throws on every access', () => {
    const broken: RecentStorage = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
      setItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
      removeItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
    }
    expect(loadRecent(broken)).toEqual([])
    expect(saveRecent(broken, [entry(1)])).toBe(false)
  })
})
