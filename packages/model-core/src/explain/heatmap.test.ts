import { describe, expect, it } from 'vitest'
import { type Heatmap, heatColor, heatmapRows, pngDataUrl, renderHeatmap } from './heatmap.ts'

const heatmap = (width: number, height: number, values: number[]): Heatmap => ({
  method: 'grad-cam',
  label: 'cat',
  classIndex: 0,
  width,
  height,
  values: Float32Array.from(values),
})

const pixel = (image: { width: number; data: Uint8ClampedArray }, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4))

describe('heatColor', () => {
  it('goes from a nearly clear indigo at 0 to a nearly opaque red at 1, clamping outside', () => {
    expect(heatColor(0)).toEqual([48, 18, 110, 31])
    expect(heatColor(1)).toEqual([215, 25, 30, 224])
    expect(heatColor(-3)).toEqual(heatColor(0))
    expect(heatColor(7)).toEqual(heatColor(1))
    expect(heatColor(Number.NaN)).toEqual(heatColor(0))
  })

  it('grows more opaque the hotter it gets', () => {
    const alphas = [0, 0.2, 0.4, 0.6, 0.8, 1].map((t) => heatColor(t)[3])
    expect([...alphas].sort((a, b) => a - b)).toEqual(alphas)
    expect(new Set(alphas).size).toBe(alphas.length)
  })
})

describe('renderHeatmap', () => {
  it('paints a uniform grid in one colour', () => {
    const image = renderHeatmap(heatmap(7, 7, Array(49).fill(0.5)), 28)
    expect([image.width, image.height, image.data.length]).toEqual([28, 28, 28 * 28 * 4])
    const colour = heatColor(0.5)
    for (let i = 0; i < image.data.length; i += 4)
      expect(Array.from(image.data.subarray(i, i + 4))).toEqual(colour)
  })

  it('upsamples with pixel centres aligned: cells keep their value at their centre, blend in between', () => {
    // 2×1 grid, cold left cell, hot right cell, drawn 4 wide: pixel centres 0.5…3.5 fall at cell
    // coordinates -0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    const image = renderHeatmap(heatmap(2, 1, [0, 1]), 4)
    expect([0, 1, 2, 3].map((x) => pixel(image, x, 0))).toEqual([
      heatColor(0),
      heatColor(0.25),
      heatColor(0.75),
      heatColor(1),
    ])
    expect(pixel(image, 2, 3)).toEqual(pixel(image, 2, 0)) // one row of cells: every row the same
  })

  it('keeps rows and columns apart (row-major, top row first)', () => {
    const image = renderHeatmap(heatmap(2, 2, [1, 0, 0, 0]), 2)
    expect(pixel(image, 0, 0)).toEqual(heatColor(1))
    expect(pixel(image, 1, 0)).toEqual(heatColor(0))
    expect(pixel(image, 0, 1)).toEqual(heatColor(0))
  })

  it('refuses a size that is not a positive whole number', () => {
    expect(() => renderHeatmap(heatmap(1, 1, [0]), 0)).toThrow(RangeError)
    expect(() => renderHeatmap(heatmap(1, 1, [0]), 2.5)).toThrow(RangeError)
  })
})

describe('heatmapRows', () => {
  it('splits the grid into rows, rounded', () => {
    expect(heatmapRows(heatmap(3, 2, [0.12345, 1, 0, 0.5, 0.3336, 0.0004]))).toEqual([
      [0.123, 1, 0],
      [0.5, 0.334, 0],
    ])
    expect(heatmapRows(heatmap(1, 1, [0.55555]), 1)).toEqual([[0.6]])
  })
})

describe('pngDataUrl', () => {
  it('base64-encodes the bytes behind the PNG media type, long inputs included', () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256)
    const url = pngDataUrl(bytes)
    expect(url.startsWith('data:image/png;base64,')).toBe(true)
    expect(new Uint8Array(Buffer.from(url.split(',')[1]!, 'base64'))).toEqual(bytes)
  })
})
