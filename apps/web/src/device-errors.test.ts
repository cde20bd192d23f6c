import { CorruptImageError, PixelBudgetError, UnsupportedImageTypeError } from '@whisker/preprocess'
import { describe, expect, it } from 'vitest'
import { deviceProblem } from './device-errors.ts'
import { messageFor, PROBLEM_MESSAGES } from './messages.ts'

describe('deviceProblem', () => {
  it('gives a decoding error on this device the code and status the Worker would answer with', () => {
    expect(deviceProblem(new UnsupportedImageTypeError('GIF'))).toEqual({
      kind: 'problem',
      status: 415,
      code: 'UNSUPPORTED_TYPE',
    })
    expect(deviceProblem(new CorruptImageError('truncated'))).toMatchObject({
      status: 400,
      code: 'CORRUPT_IMAGE',
    })
    expect(deviceProblem(new PixelBudgetError(10_000, 5_000, 16_000_000))).toMatchObject({
      status: 422,
      code: 'TOO_MANY_PIXELS',
    })
  })

  it('so people read the same words as when the server refuses the photo', () => {
    expect(messageFor(deviceProblem(new UnsupportedImageTypeError('GIF')))).toBe(
      PROBLEM_MESSAGES.UNSUPPORTED_TYPE,
    )
  })

  it('reports anything else as the model failing to run on this device', () => {
    expect(deviceProblem(new Error('WebAssembly.Memory(): could not allocate memory'))).toEqual({
      kind: 'device',
      reason: 'WebAssembly.Memory(): could not allocate memory',
    })
    expect(deviceProblem({ code: 'toString' })).toMatchObject({ kind: 'device' })
    expect(deviceProblem('boom')).toEqual({ kind: 'device', reason: 'boom' })
  })
})
