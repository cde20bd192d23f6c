import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MAX_BODY_BYTES,
  IMAGE_PROBLEMS,
  isImageProblemCode,
  MAX_IMAGES_PER_REQUEST,
  mebibytes,
  megapixels,
  PROBLEM_CODES,
  WORKER_MAX_PIXELS,
  WORKER_MAX_UNSCALED_PIXELS,
} from './index.ts'

/**
 * The prose that restates this contract for people (docs/api.md, the guide client teams read, and
 * preprocess's README on the Worker's pixel budget), checked against it so neither can drift: every code
 * in the error table and no other, the image problems' statuses, and each limit wherever it is stated.
 */

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const apiGuide = read('../../../docs/api.md')
const preprocessReadme = read('../../preprocess/README.md')

/** The number each match of `pattern` in `text` captures (in whichever group), so a missing phrase fails too. */
const statedNumbers = (text: string, pattern: RegExp) =>
  [...text.matchAll(pattern)].map((m) => Number(m.slice(1).find((group) => group !== undefined)))

describe('docs/api.md', () => {
  const errorRows = [...apiGuide.matchAll(/^\| (\d{3}|4xx) +\| `([A-Z_]+)` +\|/gm)].map((m) => ({
    status: m[1]!,
    code: m[2]!,
  }))

  it('has one row in its error table for every code a problem may carry, and no other', () => {
    expect(errorRows.map((row) => row.code).sort()).toEqual([...PROBLEM_CODES].sort())
  })

  it('gives each image problem the status the Worker answers it with', () => {
    for (const { status, code } of errorRows) {
      if (isImageProblemCode(code)) expect(Number(status), code).toBe(IMAGE_PROBLEMS[code].status)
    }
  })

  it('states the Worker’s limits as the code has them, wherever it states them', () => {
    const mib = DEFAULT_MAX_BODY_BYTES / 2 ** 20
    const mp = WORKER_MAX_PIXELS / 1e6
    const unscaledMp = WORKER_MAX_UNSCALED_PIXELS / 1e6
    const n = MAX_IMAGES_PER_REQUEST
    expect(apiGuide).toContain(`The request body: ${mebibytes(DEFAULT_MAX_BODY_BYTES)}`)
    // Whole numbers only: '1.4 MiB of' in the platform notes is a measurement, not a limit.
    expect(statedNumbers(apiGuide, /(?<![\d.])(\d+) MiB/g)).toEqual([mib, mib, mib])
    expect(statedNumbers(apiGuide, /(\d+) megapixels/g)).toEqual([mp, unscaledMp, mp, unscaledMp])
    expect(
      statedNumbers(apiGuide, /up to (\d+) \(multipart\)|1–(\d+) images|more than (\d+) images/g),
    ).toEqual([n, n, n])
  })
})

describe('preprocess’s README', () => {
  it('names the Worker’s pixel budget as the Worker has it', () => {
    expect(preprocessReadme).toContain(`Whisker's Worker passes ${megapixels(WORKER_MAX_PIXELS)}`)
  })
})
