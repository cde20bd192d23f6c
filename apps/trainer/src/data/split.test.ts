import { describe, expect, it } from 'vitest'
import type { LabelledFile } from './dataset.ts'
import { hashName, limitPerClass, splitByName } from './split.ts'

const files = (n: number, label = 'cat'): LabelledFile[] =>
  Array.from({ length: n }, (_, i) => ({ name: `${label}.${i}.jpg`, path: `/x/${label}.${i}.jpg`, label }))

describe('splitByName', () => {
  it('puts about the requested share of photos in validation', () => {
    const { train, val } = splitByName(files(2000), 0.2, 42)
    expect(train.length + val.length).toBe(2000)
    expect(val.length / 2000).toBeGreaterThan(0.17)
    expect(val.length / 2000).toBeLessThan(0.23)
  })

  it('is the same on every run', () => {
    const a = splitByName(files(300), 0.2, 7)
    const b = splitByName(files(300), 0.2, 7)
    expect(a.val.map((f) => f.name)).toEqual(b.val.map((f) => f.name))
  })

  it('never moves an existing photo when new photos are added', () => {
    const before = new Set(splitByName(files(100), 0.2, 1).val.map((f) => f.name))
    const after = splitByName([...files(100), ...files(100, 'dog')], 0.2, 1)
    const stillVal = after.val.filter((f) => f.label === 'cat').map((f) => f.name)
    expect(new Set(stillVal)).toEqual(before)
  })

  it('gives a different split for a different seed', () => {
    const a = splitByName(files(300), 0.2, 1).val.map((f) => f.name)
    const b = splitByName(files(300), 0.2, 2).val.map((f) => f.name)
    expect(a).not.toEqual(b)
  })
})

describe('limitPerClass', () => {
  it('keeps at most n photos per class in the split proportion', () => {
    const split = splitByName([...files(500), ...files(500, 'dog')], 0.2, 3)
    const limited = limitPerClass(split, 50, 0.2)
    for (const label of ['cat', 'dog']) {
      expect(limited.train.filter((f) => f.label === label)).toHaveLength(40)
      expect(limited.val.filter((f) => f.label === label)).toHaveLength(10)
    }
  })
})

describe('hashName', () => {
  it('spreads neighbouring names over the whole 32-bit range', () => {
    const hashes = ['cat.1.jpg', 'cat.2.jpg', 'cat.3.jpg'].map((n) => hashName(n, 0))
    expect(new Set(hashes).size).toBe(3)
    expect(Math.max(...hashes) - Math.min(...hashes)).toBeGreaterThan(2 ** 24)
  })
})
