import { describe, expect, it } from 'vitest'
import { percent, percentDigits } from './format.ts'

describe('percent', () => {
  it('prints a share as a percentage with a spaced unit, 2 decimals unless told', () => {
    expect(percent(0.98437)).toBe('98.44 %')
    expect(percent(0.98437, 1)).toBe('98.4 %')
    expect(percent(1)).toBe('100.00 %')
    expect(percentDigits(0.979, 1)).toBe('97.9')
  })
})
