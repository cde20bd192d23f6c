import { concatBytes, ImageTooLargeError } from '@whisker/preprocess'

/**
 * Reads a request body into memory, refusing it as soon as it passes `maxBytes`. Content-Length is only a
 * fast path: a chunked upload has none, so the limit is also counted while the stream is read, and the
 * stream is cancelled at the first byte over rather than buffered whole.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('Content-Length') ?? 0)
  if (declared > maxBytes) throw new ImageTooLargeError(declared, maxBytes)
  if (request.body === null) return new Uint8Array(0)

  const head = declared > 0 ? await readDeclared(request.body, declared) : undefined
  const chunks = head && head.byteLength > 0 ? [head] : []
  let size = head?.byteLength ?? 0
  // What follows the declared bytes (normally nothing: the stream just ends), or the whole body when its
  // length was not declared or the stream cannot be read into a buffer of our own.
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new BodyTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  return concatBytes(chunks)
}

/**
 * The first `declared` bytes in one call, where the body is a byte stream (an incoming request's is):
 * workerd's `readAtLeast` fills a buffer of exactly that size natively, whereas `read()` hands an upload
 * over in 4 KiB chunks, a promise round trip each: 100-200 for a 12 MP phone photo, 2.5-6 ms of the
 * Worker's CPU (measured, docs/benchmarks.md). The buffer holds no more than was declared, which is within
 * the limit, so a body longer than its Content-Length is still counted by the caller's loop.
 */
async function readDeclared(
  body: ReadableStream<Uint8Array>,
  declared: number,
): Promise<Uint8Array | undefined> {
  let reader: ReadableStreamBYOBReader
  try {
    reader = body.getReader({ mode: 'byob' })
  } catch {
    return undefined // not a byte stream (e.g. a Request built around a JS ReadableStream)
  }
  try {
    const { value } = await reader.readAtLeast(declared, new Uint8Array(declared))
    return value
  } finally {
    reader.releaseLock()
  }
}

/** The body's true size is unknown (we stopped reading), so say "more than" rather than a wrong number. */
class BodyTooLargeError extends ImageTooLargeError {
  constructor(maxBytes: number) {
    super(maxBytes + 1, maxBytes)
    this.message = `The image is more than ${maxBytes} bytes, the limit.`
  }
}
