import { jpegSegments, SOS } from '../container/jpeg.ts'
import { readImageHeader } from '../header.ts'

/**
 * A progressive JPEG cut after its first scan, plus `count` AC scans that each cover every block of a
 * component with end-of-band runs: a few dozen bytes apiece, as an attacker would write them.
 */
export function withExtraScans(progressive: Uint8Array, count: number): Uint8Array {
  const sos = [...jpegSegments(progressive)].find((s) => s.marker === SOS)!
  let end = sos.end
  while (
    !(progressive[end] === 0xff && progressive[end + 1] !== 0 && (progressive[end + 1]! & 0xf8) !== 0xd0)
  )
    end++
  const frame = readImageHeader(progressive)
  const runs = Math.ceil((Math.ceil(frame.width / 8) * Math.ceil(frame.height / 8)) / 32_000)
  // One Huffman code (length 1, symbol 0xE0: an EOB run with 14 extra bits), then 14 one-bits.
  const bits = '0'
    .concat('1'.repeat(14))
    .repeat(runs)
    .padEnd(Math.ceil((15 * runs) / 8) * 8, '1')
  const data: number[] = []
  for (let i = 0; i < bits.length; i += 8) {
    const byte = Number.parseInt(bits.slice(i, i + 8), 2)
    data.push(...(byte === 0xff ? [0xff, 0x00] : [byte]))
  }
  const dht = [0xff, 0xc4, 0x00, 0x14, 0x10, 1, ...new Array(15).fill(0), 0xe0]
  const componentCount = progressive[sos.start]!
  const components = Array.from({ length: componentCount }, (_, c) => progressive[sos.start + 1 + c * 2]!)
  const scans: number[] = []
  for (let i = 0; i < count; i++) {
    scans.push(...dht, 0xff, 0xda, 0x00, 0x08, 1, components[i % componentCount]!, 0x00, 1, 63, 0x00, ...data)
  }
  return new Uint8Array([...progressive.subarray(0, end), ...scans, 0xff, 0xd9])
}
