import type { NamedTensor, WeightSpec } from '../artifacts.ts'
import { CHANNEL_LEVELS } from './per-channel.ts'

/** How one tensor is stored in the weights file. */
export type TensorEncoding = 'none' | 'float16' | 'uint8'

export interface EncodedTensor {
  spec: WeightSpec
  bytes: Uint8Array
}

/**
 * Encodes one tensor in a format stock tfjs decodes on load. Integer tensors (shapes, axes) and tiny
 * tensors stay exact: quantizing them saves nothing and could change the graph's meaning.
 */
export function encodeTensor(tensor: NamedTensor, quantization: TensorEncoding): EncodedTensor {
  const base = { name: tensor.name, shape: tensor.shape, dtype: tensor.dtype }
  if (!isQuantizable(tensor) || quantization === 'none') {
    return {
      spec: base,
      bytes: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
    }
  }
  if (quantization === 'float16') {
    const halves = Uint16Array.from(tensor.data, toFloat16Bits)
    return { spec: { ...base, quantization: { dtype: 'float16' } }, bytes: new Uint8Array(halves.buffer) }
  }
  return encodeUint8(tensor.data, base)
}

/** Per-tensor affine uint8: value = q · scale + min. */
function encodeUint8(data: Float32Array, base: WeightSpec): EncodedTensor {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of data) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const scale = max > min ? (max - min) / 255 : 1
  const bytes = Uint8Array.from(data, (v) => Math.round((v - min) / scale))
  return { spec: { ...base, quantization: { dtype: 'uint8', scale, min } }, bytes }
}

/**
 * A kernel already scaled to integers in [−127, 127] per output channel (perChannelKernels): stored as
 * q = k + 127, which stock tfjs decodes exactly (q · 1 − 127).
 */
export function encodeChannelIntegers(tensor: NamedTensor): EncodedTensor {
  const base = { name: tensor.name, shape: tensor.shape, dtype: tensor.dtype }
  const bytes = Uint8Array.from(tensor.data, (k) => k + CHANNEL_LEVELS)
  return { spec: { ...base, quantization: { dtype: 'uint8', scale: 1, min: -CHANNEL_LEVELS } }, bytes }
}

/** Whether quantizing changes this tensor at all (integer and tiny tensors are always stored exactly). */
export function isQuantizable(tensor: NamedTensor): tensor is NamedTensor & { data: Float32Array } {
  return tensor.data instanceof Float32Array && tensor.data.length >= 16
}

/**
 * How much per-tensor uint8 would hurt a tensor: the worst, over output channels, of the channel's RMS
 * error relative to its own RMS. Per channel because one quantization step sized for the widest channel
 * can erase a narrow one entirely (what BatchNorm folding does to depthwise kernels), which a
 * whole-tensor average hides. The channel is the last axis, or the one before it when the last has size
 * 1 (depthwise kernels with multiplier 1).
 */
export function uint8ChannelError(data: Float32Array, shape: readonly number[]): number {
  const { spec, bytes } = encodeUint8(data, { name: '', shape: [data.length], dtype: 'float32' })
  const { scale, min } = spec.quantization as { scale: number; min: number }
  const last = shape.at(-1) ?? 1
  const channels = last > 1 ? last : (shape.at(-2) ?? 1)
  const error = new Float64Array(channels)
  const energy = new Float64Array(channels)
  for (let i = 0; i < data.length; i++) {
    const c = i % channels
    error[c]! += (bytes[i]! * scale + min - data[i]!) ** 2
    energy[c]! += data[i]! ** 2
  }
  let worst = 0
  for (let c = 0; c < channels; c++) {
    const relative =
      energy[c]! > 0 ? Math.sqrt(error[c]! / energy[c]!) : error[c]! > 0 ? Number.POSITIVE_INFINITY : 0
    worst = Math.max(worst, relative)
  }
  return worst
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** IEEE 754 binary32 → binary16 bits, round to nearest even (tfjs decodes these with its own table). */
export function toFloat16Bits(value: number): number {
  f32[0] = value
  const x = u32[0]!
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  let mantissa = x & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  const e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mantissa |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let bits = mantissa >>> shift
    const rest = mantissa & ((1 << shift) - 1)
    if (rest > half || (rest === half && bits & 1)) bits++
    return sign | bits
  }
  let bits = (e << 10) | (mantissa >>> 13)
  const rest = mantissa & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits++
  return sign | bits
}
