import { describe, expect, it } from 'vitest'
import { seededRandom } from './random.ts'

const draw = (random: () => number, n: number) => Array.from({ length: n }, random)

describe('seededRandom', () => {
  it('replays the same sequence for the same seed, and another for another seed', () => {
    expect(draw(seededRandom(42), 5)).toEqual(draw(seededRandom(42), 5))
    expect(draw(seededRandom(43), 5)).not.toEqual(draw(seededRandom(42), 5))
  })

  it('draws from [0, 1), spread evenly: each tenth of the range gets about a tenth of 10,000 draws', () => {
    const values = draw(seededRandom(7), 10_000)
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true)
    const counts = Array.from({ length: 10 }, (_, d) => values.filter((v) => Math.floor(v * 10) === d).length)
    for (const count of counts) expect(count).toBeGreaterThan(900) // 1,000 expected; 900 is 3.3 σ below
  })
})
