/** Truncates, flips bytes or splices garbage into the first 64 bytes, where the headers live. */
export function mangle(source: Uint8Array, random: () => number): Uint8Array {
  const bytes = source.slice(0, 1 + Math.floor(random() * source.length))
  const edits = 1 + Math.floor(random() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * Math.min(64, bytes.length))
    bytes[at] = random() < 0.3 ? 0xff : Math.floor(random() * 256)
  }
  return bytes
}
