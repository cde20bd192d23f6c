import { readFileSync } from 'node:fs'
import { HEATMAP_PNG_SIZE, mebibytes } from '@whisker/api-contract/plain'
import { describe, expect, it } from 'vitest'
import { ANSWER_TIMEOUT_MS, MAX_IMAGES_PER_REQUEST, MAX_UPLOAD_BYTES } from './api.ts'
import { MAX_BATCH } from './batch.ts'
import { JPEG_QUALITY, MAX_SIDE, THUMB_SIDE } from './downscale.ts'
import { RECENT_KEY, RECENT_LIMIT } from './history.ts'
import { CONTROL_WAIT_MS } from './offline.ts'
import { ON_DEVICE_KEY } from './settings.ts'
import { SMOOTHING_MS } from './smoothing.ts'

/**
 * The limits the page's README states, checked against the constants the page runs with, so neither can
 * drift: each phrase must be there (a reworded one fails too) and say what the code has.
 */

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')

/** The numbers `pattern` captures in the README, one per match. */
const stated = (pattern: RegExp) => [...readme.matchAll(pattern)].map((m) => Number(m[1]))

describe('the README’s stated limits', () => {
  it('photos at a time, and how they are downscaled before upload', () => {
    expect(stated(/Up to (\d+) photos at a time/g)).toEqual([MAX_BATCH])
    expect(stated(/at most \*\*(\d+) px\*\* on its long side/g)).toEqual([MAX_SIDE])
    expect(stated(/already (\d+) px or smaller/g)).toEqual([MAX_SIDE])
    expect(stated(/re-encoded as JPEG at quality (\d+(?:\.\d+)?)/g)).toEqual([JPEG_QUALITY])
  })

  it('photos per request and bytes, as the Worker allows them', () => {
    expect(readme).toContain(
      `(up to ${MAX_IMAGES_PER_REQUEST} per request and ${mebibytes(MAX_UPLOAD_BYTES)} in all,`,
    )
    expect(readme).toContain(`files still over ${mebibytes(MAX_UPLOAD_BYTES)} after downscaling`)
  })

  it('how long it waits: for an answer, and for the service worker when the switch is turned on', () => {
    expect(stated(/no answer within (\d+) s/g)).toEqual([ANSWER_TIMEOUT_MS / 1000])
    expect(stated(/waits \(up to (\d+) s\) for the service worker/g)).toEqual([CONTROL_WAIT_MS / 1000])
  })

  it('what it keeps: recent results, their thumbnails, and where', () => {
    expect(stated(/The last (\d+) results/g)).toEqual([RECENT_LIMIT])
    expect(stated(/with a (\d+) px thumbnail/g)).toEqual([THUMB_SIDE])
    expect(readme).toContain(`(key \`${RECENT_KEY}\`)`)
    expect(readme).toContain(`(\`${ON_DEVICE_KEY}\`, \`src/settings.ts\`)`)
  })

  it('the heatmap’s size and the live camera’s smoothing', () => {
    expect(stated(/the Worker's (\d+) × \1 heatmap PNG/g)).toEqual([HEATMAP_PNG_SIZE])
    expect(stated(/τ = (\d+) ms/g)).toEqual([SMOOTHING_MS])
  })
})
