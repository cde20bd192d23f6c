/**
 * The SHA-256 of `bytes` as 64 lowercase hex digits, through Web Crypto, which Node, workerd and browsers
 * all provide: the one content hash that names photos (the Worker's result cache, the trainer's embedding
 * cache) and models (the card's version).
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // The DOM lib's BufferSource excludes views of a SharedArrayBuffer, which no caller passes.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}
