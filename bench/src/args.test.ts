import { describe, expect, it } from 'vitest'
import { parseBenchFlags } from './args.ts'

describe('parseBenchFlags', () => {
  it('reads the data and models folders and the quick switch', () => {
    expect(parseBenchFlags(['--data', '/photos', '--models=/backbones', '--quick'])).toEqual({
      data: '/photos',
      models: '/backbones',
      quick: true,
    })
  })

  it('defaults to the full run with no folders given', () => {
    expect(parseBenchFlags([])).toEqual({ data: undefined, models: undefined, quick: false })
  })

  it('refuses a flag it does not know instead of ignoring it', () => {
    expect(() => parseBenchFlags(['--fast'])).toThrow(/Unknown option '--fast'/)
  })
})
