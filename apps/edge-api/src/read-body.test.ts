import { ImageTooLargeError } from '@whisker/preprocess'
import { describe, expect, it } from 'vitest'
import { readBody } from './read-body.ts'

const post = (body: BodyInit | null, headers?: HeadersInit) =>
  new Request('https://whisker.test/', { method: 'POST', body, ...(headers ? { headers } : {}) })

function streamOf(...chunks: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const size of chunks) controller.enqueue(new Uint8Array(size).fill(7))
      controller.close()
    },
  })
}

/** A byte stream, as an incoming request's body is: readBody reads its declared length in one call. */
function byteStreamOf(...chunks: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      for (const size of chunks) controller.enqueue(new Uint8Array(size).fill(7))
      controller.close()
    },
  })
}

describe('readBody', () => {
  it('returns every byte of a body within the limit, across chunks', async () => {
    const bytes = await readBody(post(streamOf(3, 4, 3)), 10)
    expect(bytes).toEqual(new Uint8Array(10).fill(7))
  })

  it('returns no bytes for a request without a body', async () => {
    expect(await readBody(new Request('https://whisker.test/'), 10)).toHaveLength(0)
  })

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const request = post(streamOf(1), { 'Content-Length': '11' })
    await expect(readBody(request, 10)).rejects.toBeInstanceOf(ImageTooLargeError)
    expect(request.bodyUsed).toBe(false)
  })

  it('counts while streaming, so a body without Content-Length is still refused', async () => {
    await expect(readBody(post(streamOf(6, 5)), 10)).rejects.toMatchObject({ code: 'TOO_MANY_BYTES' })
  })

  it('reads a byte stream of the declared length whole, however it is chunked', async () => {
    // The one-call path needs a body that takes a BYOB reader, as workerd's Request keeps this one.
    const probe = post(byteStreamOf(1), { 'Content-Length': '1' }).body!
    expect(() => probe.getReader({ mode: 'byob' }).releaseLock()).not.toThrow()
    const bytes = await readBody(post(byteStreamOf(4, 3, 3), { 'Content-Length': '10' }), 10)
    expect(bytes).toEqual(new Uint8Array(10).fill(7))
  })

  it('still counts what follows the declared length, so an understated Content-Length is refused', async () => {
    const request = post(byteStreamOf(6, 5), { 'Content-Length': '6' })
    await expect(readBody(request, 10)).rejects.toMatchObject({ code: 'TOO_MANY_BYTES' })
  })

  it('returns what came when the stream ends before its declared length', async () => {
    expect(await readBody(post(byteStreamOf(4), { 'Content-Length': '8' }), 10)).toEqual(
      new Uint8Array(4).fill(7),
    )
  })
})
