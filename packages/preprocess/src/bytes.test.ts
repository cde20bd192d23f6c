import { describe, expect, it } from 'vitest'
import { concatBytes } from './bytes.ts'
import { sha256Hex } from './sha256.ts'

describe('concatBytes', () => {
  it('joins the parts in order, views included', () => {
    const backing = new Uint8Array([9, 9, 3, 4, 9])
    const joined = concatBytes([new Uint8Array([1, 2]), backing.subarray(2, 4), new Uint8Array(0)])
    expect(Array.from(joined)).toEqual([1, 2, 3, 4])
  })

  it('returns a single part as it is and no part as an empty array', () => {
    const only = new Uint8Array([5])
    expect(concatBytes([only])).toBe(only)
    expect(concatBytes([]).byteLength).toBe(0)
  })
})

describe('sha256Hex', () => {
  it('gives the published SHA-256 test vectors', async () => {
    expect(await sha256Hex(new Uint8Array(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })
})
