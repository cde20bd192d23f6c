import { describe, expect, it } from 'vitest'
import { argmax } from './argmax.ts'

describe('argmax', () => {
  it('picks the highest value, the first of equals', () => {
    expect(argmax([0.1, 0.7, 0.2])).toBe(1)
    expect(argmax(new Float32Array([0.2, 0.4, 0.4]))).toBe(1)
    expect(argmax([0.5, 0.5])).toBe(0)
    expect(argmax([-3, -1, -2])).toBe(1)
  })

  it('answers -1 when there is no highest value: nothing, or a NaN', () => {
    expect(argmax([])).toBe(-1)
    expect(argmax([0.2, Number.NaN, 0.9])).toBe(-1)
  })

  it('decides exactly as indexOf(Math.max(...values)), the rule it replaced', () => {
    const cases = [[1, 2, 3], [3, 3, 1], [0, -0], [-0, 0], [Number.NaN], [], [0.25, 0.75, 0.75, 0.1]]
    for (const values of cases) expect(argmax(values)).toBe(values.indexOf(Math.max(...values)))
  })
})
