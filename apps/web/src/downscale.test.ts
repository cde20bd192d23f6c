import { describe, expect, it } from 'vitest'
import { fitWithin, MAX_SIDE, planUpload } from './downscale.ts'

describe('fitWithin', () => {
  it('shrinks the long side to the limit and keeps the aspect ratio', () => {
    expect(fitWithin({ width: 4032, height: 3024 }, 512)).toEqual({ width: 512, height: 384 })
    expect(fitWithin({ width: 3024, height: 4032 }, 512)).toEqual({ width: 384, height: 512 })
    expect(fitWithin({ width: 1000, height: 1000 }, 512)).toEqual({ width: 512, height: 512 })
  })

  it('never enlarges: an image at or under the limit keeps its size', () => {
    expect(fitWithin({ width: 500, height: 374 }, 512)).toEqual({ width: 500, height: 374 })
    expect(fitWithin({ width: 512, height: 200 }, 512)).toEqual({ width: 512, height: 200 })
    expect(fitWithin({ width: 1, height: 1 }, 512)).toEqual({ width: 1, height: 1 })
  })

  it('rounds to whole pixels and never reaches zero for extreme panoramas', () => {
    expect(fitWithin({ width: 1023, height: 767 }, 512)).toEqual({ width: 512, height: 384 })
    expect(fitWithin({ width: 20_000, height: 10 }, 512)).toEqual({ width: 512, height: 1 })
  })
})

describe('planUpload', () => {
  it('sends small JPEG, PNG and WebP files exactly as they are', () => {
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'IMAGE/JPEG']) {
      expect(planUpload({ width: 500, height: 374 }, type)).toEqual({ kind: 'keep' })
    }
    expect(planUpload({ width: MAX_SIDE, height: MAX_SIDE }, 'image/jpeg')).toEqual({ kind: 'keep' })
  })

  it('re-encodes a big photo at most 512 pixels long', () => {
    expect(planUpload({ width: 4032, height: 3024 }, 'image/jpeg')).toEqual({
      kind: 'encode',
      width: 512,
      height: 384,
    })
    expect(planUpload({ width: 513, height: 10 }, 'image/png')).toEqual({
      kind: 'encode',
      width: 512,
      height: 10,
    })
  })

  it('re-encodes, at its own size, a small image the Worker could not read', () => {
    expect(planUpload({ width: 320, height: 240 }, 'image/gif')).toEqual({
      kind: 'encode',
      width: 320,
      height: 240,
    })
    expect(planUpload({ width: 300, height: 400 }, 'image/heic')).toEqual({
      kind: 'encode',
      width: 300,
      height: 400,
    })
    expect(planUpload({ width: 300, height: 400 }, '')).toEqual({ kind: 'encode', width: 300, height: 400 })
  })

  it('takes another limit when given one', () => {
    expect(planUpload({ width: 1000, height: 500 }, 'image/jpeg', 256)).toEqual({
      kind: 'encode',
      width: 256,
      height: 128,
    })
  })
})
