import { describe, expect, it } from 'vitest'
import { FrameRate } from './frame-rate.ts'

describe('FrameRate', () => {
  it('is unknown until two frames are done', () => {
    const rate = new FrameRate()
    expect(rate.perSecond()).toBeUndefined()
    rate.tick(100)
    expect(rate.perSecond()).toBeUndefined()
    rate.tick(150)
    expect(rate.perSecond()).toBe(20)
  })

  it('counts the frames of the last window only', () => {
    const rate = new FrameRate(1000)
    for (let t = 0; t <= 3000; t += 100) rate.tick(t) // 10 a second
    for (let t = 3050; t <= 4000; t += 50) rate.tick(t) // then 20 a second
    expect(rate.perSecond()).toBeCloseTo(20, 0)
  })

  it('forgets everything on reset', () => {
    const rate = new FrameRate()
    rate.tick(0)
    rate.tick(100)
    rate.reset()
    expect(rate.perSecond()).toBeUndefined()
  })
})
