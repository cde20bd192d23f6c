import { describe, expect, it } from 'vitest'
import type { ApiError, ProblemCode } from './api.ts'
import { cameraMessage, leftOutMessage, messageFor, PROBLEM_MESSAGES } from './messages.ts'

const problem = (status: number, code?: string): ApiError =>
  code === undefined ? { kind: 'problem', status } : { kind: 'problem', status, code }

describe('messageFor', () => {
  it.each<[ProblemCode, number, RegExp]>([
    ['EMPTY_IMAGE', 400, /empty/],
    ['UNSUPPORTED_TYPE', 415, /isn't an image we can read/],
    ['CORRUPT_IMAGE', 400, /damaged/],
    ['TOO_MANY_BYTES', 413, /too large/],
    ['TOO_MANY_PIXELS', 422, /too many pixels/],
  ])('explains %s in plain words', (code, status, words) => {
    expect(messageFor(problem(status, code))).toMatch(words)
  })

  it('gives every known code its own message', () => {
    const messages = Object.values(PROBLEM_MESSAGES)
    expect(new Set(messages).size).toBe(messages.length)
  })

  it('goes by the code, not the status, when both are present', () => {
    expect(messageFor(problem(400, 'TOO_MANY_BYTES'))).toBe(PROBLEM_MESSAGES.TOO_MANY_BYTES)
  })

  it('falls back on the HTTP status for a missing or unknown code', () => {
    expect(messageFor(problem(413))).toBe(PROBLEM_MESSAGES.TOO_MANY_BYTES)
    expect(messageFor(problem(415, 'SOMETHING_NEW'))).toBe(PROBLEM_MESSAGES.UNSUPPORTED_TYPE)
    expect(messageFor(problem(429))).toMatch(/busy/)
    expect(messageFor(problem(503))).toMatch(/trouble/)
    expect(messageFor(problem(400, 'SOMETHING_NEW'))).toMatch(/went wrong/)
  })

  it('does not treat inherited object keys as codes', () => {
    expect(messageFor(problem(400, 'toString'))).toMatch(/went wrong/)
  })

  it('explains a failure to reach the Worker, a timeout and a garbled answer', () => {
    expect(messageFor({ kind: 'network', reason: 'Failed to fetch' })).toMatch(/couldn't reach Whisker/)
    expect(messageFor({ kind: 'timeout' })).toMatch(/too long/)
    expect(messageFor({ kind: 'bad-response', status: 200, reason: 'x' })).toMatch(/couldn't understand/)
  })

  it('tells people to switch off on-device mode when the model cannot run here', () => {
    expect(messageFor({ kind: 'device', reason: 'WebAssembly.compile(): out of memory' })).toMatch(
      /couldn't run the model.*Switch off/,
    )
  })

  it('says how many photos were left out of a batch', () => {
    expect(leftOutMessage(1, 12)).toBe(
      'Only the first 12 photos are classified at a time; 1 photo was left out.',
    )
    expect(leftOutMessage(3, 12)).toMatch(/3 photos were left out\.$/)
  })

  it('never shows the server detail, the code or the technical reason', () => {
    const shown = [
      messageFor({
        kind: 'problem',
        status: 400,
        code: 'CORRUPT_IMAGE',
        detail: 'Corrupt image: bad huffman table.',
      }),
      messageFor({ kind: 'network', reason: 'TypeError: NetworkError when attempting to fetch resource.' }),
      messageFor({ kind: 'bad-response', status: 200, reason: 'confidence should be a number from 0 to 1' }),
      messageFor({ kind: 'device', reason: 'TypeError: confidence should be' }),
    ]
    for (const message of shown) {
      expect(message).not.toMatch(/huffman|CORRUPT_IMAGE|TypeError|confidence should/)
      expect(message).toMatch(/^[A-Z].*\.$/)
    }
  })
})

describe('cameraMessage', () => {
  it.each([
    ['NotAllowedError', /blocked/],
    ['SecurityError', /blocked/],
    ['NotFoundError', /No camera/],
    ['OverconstrainedError', /No camera/],
    ['NotReadableError', /busy in another app/],
  ])('explains %s in plain words', (name, words) => {
    expect(cameraMessage(new DOMException('detail', name))).toMatch(words)
  })

  it('falls back on one sentence for anything else, and for no camera API at all', () => {
    expect(cameraMessage(new TypeError('x'))).toMatch(/can’t show a live camera/)
    expect(cameraMessage(undefined)).toMatch(/can’t show a live camera/)
  })
})
