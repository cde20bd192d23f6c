import type { WeightSpec } from '../artifacts.ts'
import type { Quantization } from '../card.ts'
import type { NamedTensor } from './weights.ts'

export interface EncodedTensor {
  spec: WeightSpec
  bytes: Uint8Array
}

/**
 * Encodes one tensor in a format stock tfjs decodes on load. Integer tensors (shapes, axes) and tiny
 * tensors stay exact: quantizing them saves nothing and could change the graph's meaning.
 */
export function encodeTensor(tensor: NamedTensor, quantization: Quantization): EncodedTensor {
  const base = { name: tensor.name, shape: tensor.shape, dtype: tensor.dtype }
  if (tensor.data instanceof Int32Array || quantization === 'none' || tensor.data.length < 16) {
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
