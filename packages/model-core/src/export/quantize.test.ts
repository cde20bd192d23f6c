import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { NamedTensor } from '../artifacts.ts'
import { seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import { type EncodedTensor, encodeTensor, toFloat16Bits, uint8ChannelError } from './quantize.ts'

beforeAll(useWasmBackend)

/** Node 24's Float16Array is the reference IEEE 754 binary16 conversion (round to nearest even). */
const Float16 = (globalThis as { Float16Array?: new (values: ArrayLike<number>) => ArrayBufferView })
  .Float16Array
function referenceBits(values: ArrayLike<number>): Uint16Array {
  if (!Float16) throw new Error('this Node has no Float16Array')
  const halves = new Float16(values)
  return new Uint16Array(halves.buffer, halves.byteOffset, values.length)
}

/** Decodes an encoded tensor the way stock tfjs does when it loads a weights manifest. */
function decodeWithTfjs(encoded: EncodedTensor): Float32Array | Int32Array {
  const buffer = encoded.bytes.slice().buffer
  const tensor = tf.io.decodeWeights(buffer, [encoded.spec])[encoded.spec.name]!
  const values = tensor.dataSync() as Float32Array | Int32Array
  tensor.dispose()
  return values
}

const float = (name: string, values: ArrayLike<number>): NamedTensor => ({
  name,
  shape: [values.length],
  dtype: 'float32',
  data: Float32Array.from(values),
})

const hex = (bits: number) => `0x${bits.toString(16).padStart(4, '0')}`

describe('toFloat16Bits', () => {
  it.each([
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['0.5', 0.5, 0x3800],
    ['65504, the largest half', 65504, 0x7bff],
    ['65519, just below the rounding boundary', 65519, 0x7bff],
    ['65520, which rounds to infinity', 65520, 0x7c00],
    ['1e6, beyond the half range', 1e6, 0x7c00],
    ['2^-14, the smallest normal', 2 ** -14, 0x0400],
    ['6.1e-5, just below it: the largest subnormals', 6.1e-5, 0x03ff],
    ['2^-14 - 2^-26, a subnormal that rounds up to the smallest normal', 2 ** -14 - 2 ** -26, 0x0400],
    ['2^-24, the smallest subnormal', 2 ** -24, 0x0001],
    ['1e-8, which underflows to zero', 1e-8, 0x0000],
    ['-1e-8, which underflows to negative zero', -1e-8, 0x8000],
    ['Infinity', Number.POSITIVE_INFINITY, 0x7c00],
    ['-Infinity', Number.NEGATIVE_INFINITY, 0xfc00],
  ])('encodes %s', (_, value, bits) => {
    expect(hex(toFloat16Bits(value))).toBe(hex(bits))
  })

  it('encodes NaN as a NaN (all exponent bits, non-zero mantissa)', () => {
    const bits = toFloat16Bits(Number.NaN)
    expect(bits & 0x7c00).toBe(0x7c00)
    expect(bits & 0x03ff).not.toBe(0)
  })

  it.each([
    ['1 + 2^-11 (halfway between 0x3c00 and 0x3c01) to the even 0x3c00', 1 + 2 ** -11, 0x3c00],
    ['1 + 3·2^-11 (halfway between 0x3c01 and 0x3c02) to the even 0x3c02', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20 (just past halfway) up to 0x3c01', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['2049 (halfway between 2048 and 2050) to 2048', 2049, 0x6800],
    ['2051 (halfway between 2050 and 2052) to 2052', 2051, 0x6802],
    ['2^-25 (halfway between 0 and the smallest subnormal) to 0', 2 ** -25, 0x0000],
    ['3·2^-25 (halfway between subnormals 1 and 2) to 2', 3 * 2 ** -25, 0x0002],
    ['2^-25 + 2^-35 (just past halfway) up to the smallest subnormal', 2 ** -25 + 2 ** -35, 0x0001],
  ])('rounds to nearest even: %s', (_, value, bits) => {
    expect(hex(toFloat16Bits(value))).toBe(hex(bits))
  })

  it('maps every one of the 65,536 half values back to its own bits (NaNs aside)', () => {
    const wrong: string[] = []
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToNumber(bits)
      if (!Number.isNaN(value) && toFloat16Bits(value) !== bits) wrong.push(hex(bits))
    }
    expect(wrong).toEqual([])
  })

  it('agrees with Float16Array on 20,000 random floats spanning the whole half range and beyond', () => {
    const random = seededRandom(11)
    const values = Float32Array.from({ length: 20_000 }, () => {
      const sign = random() < 0.5 ? -1 : 1
      return sign * 2 ** (-30 + 48 * random()) // 2^-30 (underflow) … 2^18 (overflow)
    })
    const expected = referenceBits(values)
    const mismatches = [...values].filter((v, i) => toFloat16Bits(v) !== expected[i]).slice(0, 5)
    expect(mismatches).toEqual([])
  })
})

/** binary16 bits → number, written out from the IEEE definition. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >> 10) & 0x1f
  const mantissa = bits & 0x03ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}

describe('encodeTensor', () => {
  const random = seededRandom(5)
  const weights = float('conv/kernel', [-3, ...uniform(random, 998, -3, 5), 5])

  it("'none' writes the float32 bytes unchanged, with no quantization entry", () => {
    const encoded = encodeTensor(weights, 'none')
    expect(encoded.spec).toEqual({ name: 'conv/kernel', shape: [1000], dtype: 'float32' })
    expect(decodeWithTfjs(encoded)).toEqual(weights.data)
  })

  it("'float16' halves the bytes and stock tfjs decodes each value to its nearest half", () => {
    const encoded = encodeTensor(weights, 'float16')
    expect(encoded.spec).toEqual({
      name: 'conv/kernel',
      shape: [1000],
      dtype: 'float32',
      quantization: { dtype: 'float16' },
    })
    expect(encoded.bytes.byteLength).toBe(2000)
    const nearestHalves = Float32Array.from(referenceBits(weights.data), halfToNumber)
    expect(decodeWithTfjs(encoded)).toEqual(nearestHalves)
  })

  it("'uint8' is per-tensor affine (value = q · scale + min) and stock tfjs decodes it within scale/2", () => {
    const encoded = encodeTensor(weights, 'uint8')
    expect(encoded.bytes.byteLength).toBe(1000)
    const q = encoded.spec.quantization
    expect(q).toMatchObject({ dtype: 'uint8', min: -3 })
    const scale = q?.dtype === 'uint8' ? q.scale : Number.NaN
    expect(scale).toBeCloseTo(8 / 255, 7)
    const decoded = decodeWithTfjs(encoded)
    let worst = 0
    for (let i = 0; i < decoded.length; i++) {
      worst = Math.max(worst, Math.abs(decoded[i]! - weights.data[i]!))
    }
    expect(worst).toBeLessThanOrEqual(scale / 2 + 1e-6)
    expect(worst).toBeGreaterThan(scale / 4) // the values really were rounded: this is not float32
    expect(Math.min(...decoded)).toBeCloseTo(-3, 6)
    expect(Math.max(...decoded)).toBeCloseTo(5, 5)
  })

  it("'uint8' of a constant tensor decodes to that constant", () => {
    const encoded = encodeTensor(float('gamma', new Array(32).fill(0.7)), 'uint8')
    expect(decodeWithTfjs(encoded)).toEqual(new Float32Array(32).fill(0.7))
  })

  it.each(['float16', 'uint8'] as const)('%s leaves int32 tensors (shapes, axes) exact', (quantization) => {
    const ints = Int32Array.from({ length: 40 }, (_, i) => (i - 20) * 100_003)
    const encoded = encodeTensor(
      { name: 'reshape/shape', shape: [40], dtype: 'int32', data: ints },
      quantization,
    )
    expect(encoded.spec).toEqual({ name: 'reshape/shape', shape: [40], dtype: 'int32' })
    expect(decodeWithTfjs(encoded)).toEqual(ints)
  })

  it.each(['float16', 'uint8'] as const)(
    '%s leaves tensors under 16 values exact, and quantizes from 16 on',
    (quantization) => {
      const tiny = float('pixels/scale', uniform(seededRandom(6), 15, -1, 1))
      const small = float('bias', uniform(seededRandom(6), 16, -1, 1))
      const encodedTiny = encodeTensor(tiny, quantization)
      expect(encodedTiny.spec.quantization).toBeUndefined()
      expect(decodeWithTfjs(encodedTiny)).toEqual(tiny.data)
      expect(encodeTensor(small, quantization).spec.quantization?.dtype).toBe(quantization)
    },
  )
})

describe('uint8ChannelError', () => {
  it('is small for a tensor whose channels share one range', () => {
    const data = Float32Array.from({ length: 64 * 8 }, (_, i) => Math.sin(i))
    expect(uint8ChannelError(data, [64, 8])).toBeLessThan(0.02)
  })

  it('exposes a narrow channel that one per-tensor step would erase', () => {
    // Channel 0 spans ±100, channel 1 only ±0.01: uint8 steps of ~0.8 wipe channel 1 out.
    const data = Float32Array.from({ length: 64 * 2 }, (_, i) => (i % 2 === 0 ? 100 : 0.01) * Math.sin(i))
    expect(uint8ChannelError(data, [64, 2])).toBeGreaterThan(0.5)
  })

  it('reads depthwise kernels (multiplier 1) per input channel', () => {
    const data = Float32Array.from({ length: 9 * 4 }, (_, i) => (i % 4 === 3 ? 0.001 : 10) * Math.cos(i))
    expect(uint8ChannelError(data, [3, 3, 4, 1])).toBeGreaterThan(0.5)
  })
})
