import { describe, expect, it } from 'vitest'
import { table } from './markdown.ts'

describe('table', () => {
  it('renders a header, a separator and one line per row', () => {
    expect(table(['a', 'b'], [[1, '2 ms']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 ms |')
  })
})
