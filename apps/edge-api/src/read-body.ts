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

  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
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

/** The body's true size is unknown (we stopped reading), so say "more than" rather than a wrong number. */
class BodyTooLargeError extends ImageTooLargeError {
  constructor(maxBytes: number) {
    super(maxBytes + 1, maxBytes)
    this.message = `The image is more than ${maxBytes} bytes, the limit.`
  }
}
