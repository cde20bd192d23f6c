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
})
