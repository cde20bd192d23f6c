import { CorruptImageError } from './errors.ts'

/**
 * Bounds-checked readers for container parsing. Every read goes through `need`, so a lying length
 * field becomes a CorruptImageError with a reason instead of `undefined` arithmetic (NaN sizes).
 */

export function need(bytes: Uint8Array, end: number, what: string): void {
  if (end > bytes.length) throw new CorruptImageError(`truncated ${what}`)
}

export function u8(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 1, what)
  return bytes[at]!
}

export function u16be(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 2, what)
  return (bytes[at]! << 8) | bytes[at + 1]!
}

export function u16le(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 2, what)
  return bytes[at]! | (bytes[at + 1]! << 8)
}

export function u24le(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 3, what)
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)
}

/** Multiplication instead of `<< 24` keeps values ≥ 2^31 positive. */
export function u32be(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 4, what)
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
}

export function u32le(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 4, what)
  return bytes[at + 3]! * 0x1000000 + ((bytes[at + 2]! << 16) | (bytes[at + 1]! << 8) | bytes[at]!)
}

/** Four-character codes (PNG chunk types, RIFF chunk ids) as strings, for readable comparisons. */
export function fourcc(bytes: Uint8Array, at: number, what: string): string {
  need(bytes, at + 4, what)
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!)
}

/** True when `bytes` holds exactly `expected` at `at` (false, never a throw, when too short). */
export function startsWithAt(bytes: Uint8Array, at: number, expected: readonly number[]): boolean {
  if (at + expected.length > bytes.length) return false
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false
  return true
}

/**
 * The parts one after another in one new array (one part is returned as is, not copied). Hand-written
 * because every runtime needs it (Node, workerd, browsers) and Buffer.concat is Node's alone.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}
