import { describe, expect, it } from 'vitest'
import { EmptyImageError, ImageTooLargeError, PixelBudgetError, UnsupportedImageTypeError } from './errors.ts'
import { checkLimits, resolveLimits } from './guards.ts'
import { caught } from './test-support/catch.ts'
import { formatMatrix, jpegHeaderClaiming } from './test-support/images.ts'
import { DEFAULT_LIMITS } from './types.ts'

const images = await formatMatrix(48, 32)
const jpeg = images['JPEG baseline']!

describe('checkLimits', () => {
  it('returns the header of an image within limits', () => {
    expect(checkLimits(jpeg)).toEqual({ format: 'jpeg', width: 48, height: 32 })
  })

  it('uses DEFAULT_LIMITS for whatever is not given', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS)
    expect(resolveLimits({ maxPixels: 10 })).toEqual({ maxBytes: DEFAULT_LIMITS.maxBytes, maxPixels: 10 })
  })

  it('refuses zero bytes as EMPTY_IMAGE', () => {
    expect(() => checkLimits(new Uint8Array())).toThrow(EmptyImageError)
  })

  it('refuses more bytes than maxBytes as TOO_MANY_BYTES, with both numbers', () => {
    const error = caught(() => checkLimits(jpeg, { maxBytes: jpeg.length - 1 }))
    expect(error).toBeInstanceOf(ImageTooLargeError)
    expect(error).toMatchObject({ code: 'TOO_MANY_BYTES', bytes: jpeg.length, maxBytes: jpeg.length - 1 })
  })

  it('accepts exactly maxBytes and exactly maxPixels', () => {
    expect(() => checkLimits(jpeg, { maxBytes: jpeg.length, maxPixels: 48 * 32 })).not.toThrow()
  })

  it('checks the byte count before looking at the content at all', () => {
    const oversizedText = new Uint8Array(DEFAULT_LIMITS.maxBytes + 1).fill(0x41)
    expect(() => checkLimits(oversizedText)).toThrow(ImageTooLargeError)
    expect(() => checkLimits(oversizedText.subarray(0, 100))).toThrow(UnsupportedImageTypeError)
  })

  it('refuses a tiny file claiming 50000×50000 from its header alone, as TOO_MANY_PIXELS', () => {
    const bomb = jpegHeaderClaiming(50000, 50000)
    expect(bomb.length).toBeLessThan(32)
    const error = caught(() => checkLimits(bomb))
    expect(error).toBeInstanceOf(PixelBudgetError)
    expect(error).toMatchObject({
      code: 'TOO_MANY_PIXELS',
      width: 50000,
      height: 50000,
      maxPixels: 40_000_000,
    })
  })

  it('applies a caller-supplied pixel budget', () => {
    expect(() => checkLimits(jpeg, { maxPixels: 48 * 32 - 1 })).toThrow(PixelBudgetError)
  })

  it('holds PNG, WebP and progressive JPEG to maxUnscaledPixels, baseline JPEG to maxPixels', () => {
    const limits = { maxPixels: 48 * 32, maxUnscaledPixels: 48 * 32 - 1 }
    expect(checkLimits(jpeg, limits)).toMatchObject({ format: 'jpeg' })
    expect(checkLimits(images['JPEG progressive']!)).toMatchObject({ progressive: true })
    for (const name of ['JPEG progressive', 'PNG 8-bit RGB', 'WebP lossy']) {
      const error = caught(() => checkLimits(images[name]!, limits))
      expect(error, name).toBeInstanceOf(PixelBudgetError)
      expect(error, name).toMatchObject({ code: 'TOO_MANY_PIXELS', maxPixels: 48 * 32 - 1 })
      expect((error as Error).message, name).toMatch(/maxUnscaledPixels/)
      expect(checkLimits(images[name]!, { maxPixels: 48 * 32 }), `${name} without it`).toMatchObject({
        width: 48,
      })
    }
  })
})
