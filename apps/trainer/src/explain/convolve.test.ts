import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../core/backend.ts'
import { convolve, type GrayImage, toDisplay, toGray } from './convolve.ts'
import {
  InvalidKernelError,
  KERNEL_NAMES,
  KERNELS,
  type Kernel,
  parseKernel,
  resolveKernel,
} from './kernels.ts'

beforeAll(async () => {
  await selectBackend('cpu') // tf.conv2d is one of the references below
})

/** A small deterministic picture with values 0–255 (an LCG, so failures replay). */
function picture(width: number, height: number, seed: number): GrayImage {
  let state = seed
  const data = Float32Array.from({ length: width * height }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state % 256
  })
  return { width, height, data }
}

/**
 * Reference 1, written differently on purpose: pad the picture with zeros into a bigger array first
 * (TensorFlow's `same` split: the extra row and column of an even kernel go after), then take plain dot
 * products of each window with the kernel.
 */
function paddedReference(image: GrayImage, kernel: Kernel): Float32Array {
  const kh = kernel.length
  const kw = kernel[0]!.length
  const [top, left] = [Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2)]
  const pw = image.width + kw - 1
  const padded: number[][] = Array.from({ length: image.height + kh - 1 }, () => Array(pw).fill(0))
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) padded[y + top]![x + left] = image.data[y * image.width + x]!
  const out: number[] = []
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const window = padded.slice(y, y + kh).map((row) => row.slice(x, x + kw))
      out.push(window.flat().reduce((sum, v, i) => sum + v * kernel.flat()[i]!, 0))
    }
  return Float32Array.from(out)
}

/** Reference 2: TensorFlow.js itself, tf.conv2d with `same` padding (also a cross-correlation). */
function tfReference(image: GrayImage, kernel: Kernel): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(image.data, [1, image.height, image.width, 1])
    const k = tf.tensor4d(kernel.flat(), [kernel.length, kernel[0]!.length, 1, 1])
    return tf.conv2d(x, k, 1, 'same').dataSync() as Float32Array
  })
}

const close = (actual: Float32Array, expected: Float32Array, digits = 3) => {
  expect(actual).toHaveLength(expected.length)
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits)
}

describe('convolve', () => {
  it('computes a 3×3 example worked by hand', () => {
    // 1 2 3        Laplacian, zero border:  centre 5·(−4) + 2 + 4 + 6 + 8 = 0
    // 4 5 6        corner (0, 0): 1·(−4) + 2 + 4 = 2; edge (1, 0): 2·(−4) + 1 + 3 + 5 = 1
    // 7 8 9
    const image = { width: 3, height: 3, data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9) }
    expect(Array.from(convolve(image, KERNELS.laplacian).data)).toEqual([2, 1, -4, -3, 0, -7, -16, -11, -22])
  })

  it('does not flip the kernel, as convolution layers do not: Sobel x is positive where it gets brighter to the right', () => {
    const ramp = { width: 5, height: 3, data: Float32Array.from({ length: 15 }, (_, i) => (i % 5) * 10) }
    const out = convolve(ramp, KERNELS['sobel-x'])
    expect(out.data[1 * 5 + 2]).toBe(80) // (−1 − 2 − 1)·10 + (1 + 2 + 1)·30
  })

  it('leaves a picture unchanged with the identity kernel, and keeps its size', () => {
    const image = picture(7, 5, 3)
    const out = convolve(image, [
      [0, 0, 0],
      [0, 1, 0],
      [0, 0, 0],
    ])
    expect([out.width, out.height]).toEqual([7, 5])
    expect(Array.from(out.data)).toEqual(Array.from(image.data))
  })

  for (const name of KERNEL_NAMES) {
    it(`matches both references with ${name}`, () => {
      const image = picture(11, 9, name.length)
      const kernel = KERNELS[name]
      const out = convolve(image, kernel).data
      close(out, paddedReference(image, kernel))
      close(out, tfReference(image, kernel), 2)
    })
  }

  it('matches both references with an asymmetric, rectangular kernel (2 × 5)', () => {
    const image = picture(6, 8, 9)
    const kernel = [
      [1, -2, 0.5, 3, 0],
      [-1, 0.25, 2, -0.5, 1],
    ]
    close(convolve(image, kernel).data, paddedReference(image, kernel))
    close(convolve(image, kernel).data, tfReference(image, kernel), 2)
  })
})

describe('toGray', () => {
  it('weighs red, green and blue as BT.601 luma', () => {
    const gray = toGray({
      width: 4,
      height: 1,
      data: Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30),
    })
    close(gray.data, Float32Array.of(76.245, 149.685, 29.07, 0.299 * 10 + 0.587 * 20 + 0.114 * 30))
  })
})

describe('toDisplay', () => {
  it('shows edge kernels (weights summing to 0) as |response|, the strongest white', () => {
    const out = toDisplay({ width: 3, height: 1, data: Float32Array.of(-40, 20, 0) }, KERNELS['sobel-x'])
    expect(Array.from(out)).toEqual([255, 128, 0])
  })

  it('clamps brightness-keeping kernels (blurs, sharpen) to 0–255', () => {
    const out = toDisplay({ width: 3, height: 1, data: Float32Array.of(-5, 100.4, 300) }, KERNELS.sharpen)
    expect(Array.from(out)).toEqual([0, 100, 255])
  })
})

describe('kernels', () => {
  it('has the tutorial kernels, box filters summing to 1', () => {
    expect(KERNEL_NAMES).toEqual(['box3', 'box8', 'sobel-x', 'sobel-y', 'laplacian', 'sharpen'])
    expect(KERNELS.box8).toHaveLength(8)
    for (const box of [KERNELS.box3, KERNELS.box8])
      expect(box.flat().reduce((a, b) => a + b)).toBeCloseTo(1, 10)
  })

  it('reads a kernel from a JSON file, bare or as { kernel }', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'whisker-kernel-'))
    await writeFile(join(dir, 'emboss.json'), '[[-2,-1,0],[-1,1,1],[0,1,2]]')
    await writeFile(join(dir, 'wrapped.json'), '{"kernel": [[1, 2]]}')
    expect(await resolveKernel(join(dir, 'emboss.json'))).toEqual({
      name: 'emboss',
      kernel: [
        [-2, -1, 0],
        [-1, 1, 1],
        [0, 1, 2],
      ],
    })
    expect((await resolveKernel(join(dir, 'wrapped.json'))).kernel).toEqual([[1, 2]])
    expect(await resolveKernel('sobel-y')).toEqual({ name: 'sobel-y', kernel: KERNELS['sobel-y'] })
  })

  it.each([
    ['ragged rows', [[1, 2], [3]], /row 1 must be an array of 2 numbers/],
    ['a string weight', [[1, '2']], /row 0, column 1 is not a finite number/],
    ['no rows', [], /non-empty array of rows/],
    ['an empty row', [[]], /row 0 must be an array/],
    ['too large', Array.from({ length: 32 }, () => [1]), /at most 31 × 31/],
    ['not an array', { weights: [[1]] }, /non-empty array of rows/],
  ])('refuses %s', (_, json, message) => {
    expect(() => parseKernel(json)).toThrow(InvalidKernelError)
    expect(() => parseKernel(json)).toThrow(message)
  })

  it('refuses unknown names, unreadable files and invalid JSON, saying which', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'whisker-kernel-'))
    await writeFile(join(dir, 'broken.json'), '[[1, 2')
    await expect(resolveKernel('blur')).rejects.toThrow(/Unknown kernel "blur": use one of box3, box8/)
    await expect(resolveKernel(join(dir, 'missing.json'))).rejects.toThrow(
      /Cannot read .*missing\.json: ENOENT/,
    )
    await expect(resolveKernel(join(dir, 'broken.json'))).rejects.toThrow(/broken\.json is not valid JSON/)
  })
})
