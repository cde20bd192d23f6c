import { describe, expect, it } from 'vitest'
import { compareKernel, input } from '../test-support/backends.ts'
import { kernelHarness } from '../test-support/kernel-harness.ts'

const { within } = kernelHarness('BatchMatMul')

const CASES: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean; note: string }[] = [
  { a: [300, 16], b: [300, 8], transposeA: true, transposeB: false, note: "a dense layer's dW = xᵀ·dy" },
  { a: [16, 8], b: [300, 8], transposeA: false, transposeB: true, note: "a dense layer's dx = dy·Wᵀ" },
  { a: [7, 5], b: [6, 7], transposeA: true, transposeB: true, note: 'both transposed' },
  { a: [1, 40, 12], b: [1, 40, 9], transposeA: true, transposeB: false, note: 'rank 3, batch 1' },
  { a: [3, 4, 5], b: [3, 6, 5], transposeA: false, transposeB: true, note: 'batched: built-in' },
  { a: [9, 4], b: [4, 3], transposeA: false, transposeB: false, note: 'plain: built-in' },
]

describe('BatchMatMul on wasm (transposed operands through XNNPACK)', () => {
  let seed = 1
  for (const { a, b, transposeA, transposeB, note } of CASES) {
    const label = `${JSON.stringify(a)}${transposeA ? 'ᵀ' : ''} · ${JSON.stringify(b)}${transposeB ? 'ᵀ' : ''}: ${note}`
    it(`matches the cpu backend: ${label}`, async () => {
      const inputs = { a: input(a, seed++), b: input(b, seed++) }
      const result = await compareKernel('BatchMatMul', inputs, { transposeA, transposeB })
      expect(result.shape).toEqual(result.expectedShape)
      within(label, result.error)
    })
  }
})
