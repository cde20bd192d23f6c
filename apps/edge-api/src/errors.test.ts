import { Hono } from 'hono'
import { describe, expect, inject, it, vi } from 'vitest'
import { call, classify, fromBase64, problemOf } from '../test/client.ts'
import { pngHeaderOnly } from '../test/png.ts'
import type { AppEnv } from './env.ts'
import { onError } from './errors.ts'
import { requestId } from './middleware/request-id.ts'

const jpeg = fromBase64(inject('validationPhotos')[0]!.base64)
const MiB = 1024 * 1024

describe('client mistakes are 4xx problems (RFC 9457), never 500', () => {
  it('an empty body is 400 EMPTY_IMAGE', async () => {
    const res = await classify(new Uint8Array(0))
    expect(res.status).toBe(400)
    expect(await problemOf(res)).toMatchObject({ status: 400, code: 'EMPTY_IMAGE' })
  })

  it('no body at all is 400 EMPTY_IMAGE too', async () => {
    const res = await classify(null)
    expect((await problemOf(res)).code).toBe('EMPTY_IMAGE')
  })

  it('a text body is 415 UNSUPPORTED_TYPE, even when it claims to be a JPEG', async () => {
    const res = await classify('definitely not a photo', '', { 'Content-Type': 'image/jpeg' })
    expect(res.status).toBe(415)
    expect((await problemOf(res)).code).toBe('UNSUPPORTED_TYPE')
  })

  it('a truncated JPEG (an interrupted upload) is 400 CORRUPT_IMAGE', async () => {
    const res = await classify(jpeg.slice(0, Math.floor(jpeg.length / 2)))
    expect(res.status).toBe(400)
    expect((await problemOf(res)).code).toBe('CORRUPT_IMAGE')
  })

  it('a header claiming 50000×50000 is 422 TOO_MANY_PIXELS, refused before decoding', async () => {
    const res = await classify(pngHeaderOnly(50_000, 50_000))
    expect(res.status).toBe(422)
    expect((await problemOf(res)).code).toBe('TOO_MANY_PIXELS')
  })

  it('a PNG over the unscaled budget is 422 TOO_MANY_PIXELS, though a JPEG that size is decoded', async () => {
    const res = await classify(pngHeaderOnly(2000, 2000)) // 4 MP: under WORKER_MAX_PIXELS, over 3 MP
    expect(res.status).toBe(422)
    const problem = await problemOf(res)
    expect(problem.code).toBe('TOO_MANY_PIXELS')
    expect(problem.detail).toMatch(/PNG, WebP and progressive JPEG/)
  })

  it('a body over 10 MB is 413 TOO_MANY_BYTES', async () => {
    const big = new Uint8Array(10 * MiB + 1)
    big.set(jpeg) // a real JPEG start: the size alone must be what is refused
    const res = await classify(big)
    expect(res.status).toBe(413)
    expect((await problemOf(res)).code).toBe('TOO_MANY_BYTES')
  })

  it('a streamed body without Content-Length is cut off once it passes 10 MB: 413', async () => {
    let sent = 0
    const chunk = new Uint8Array(MiB)
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless: only the Worker's limit can end this request.
        sent += chunk.length
        controller.enqueue(chunk)
      },
    })
    const res = await classify(body)
    expect(res.status).toBe(413)
    expect((await problemOf(res)).code).toBe('TOO_MANY_BYTES')
    expect(sent).toBeLessThan(20 * MiB)
  })

  it('a bad ?topK= is 400 INVALID_QUERY', async () => {
    for (const topK of ['0', '-1', 'two', '1.5', '']) {
      const res = await classify(jpeg, `?topK=${topK}`)
      expect(res.status, `topK=${topK}`).toBe(400)
      expect((await problemOf(res)).code).toBe('INVALID_QUERY')
    }
  })

  it('an unknown API route is 404 NOT_FOUND', async () => {
    const res = await call('/v1/nope')
    expect(res.status).toBe(404)
    expect((await problemOf(res)).code).toBe('NOT_FOUND')
  })

  it('problems carry type, title, status, detail, code and the request id', async () => {
    const res = await classify(new Uint8Array(0))
    const problem = await problemOf(res)
    expect(problem).toEqual({
      type: 'urn:whisker:problem:empty-image',
      title: expect.any(String),
      status: 400,
      detail: expect.any(String),
      code: 'EMPTY_IMAGE',
      requestId: res.headers.get('X-Request-Id'),
    })
  })
})

describe('wrong methods', () => {
  it('are 405 METHOD_NOT_ALLOWED with Allow, on the API paths', async () => {
    const get = await call('/v1/classify')
    expect(get.status).toBe(405)
    expect(get.headers.get('Allow')).toBe('POST')
    expect((await problemOf(get)).code).toBe('METHOD_NOT_ALLOWED')

    const post = await call('/v1/model', { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('Allow')).toBe('GET, HEAD')
  })
})

describe('our own bugs', () => {
  it('are 500 INTERNAL with the request id, leak nothing, and log one JSON line to find them by', async () => {
    const app = new Hono<AppEnv>().use(requestId).get('/boom', () => {
      throw new TypeError('secret internal detail')
    })
    app.onError(onError)
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})

    const res = await app.request('/boom')
    const problem = await problemOf(res)
    expect(res.status).toBe(500)
    expect(problem).toMatchObject({
      status: 500,
      code: 'INTERNAL',
      requestId: res.headers.get('X-Request-Id'),
    })
    expect(JSON.stringify(problem)).not.toContain('secret')
    expect(log).toHaveBeenCalledOnce()
    expect(JSON.parse(String(log.mock.calls[0]![0]))).toMatchObject({
      level: 'error',
      requestId: problem.requestId,
      error: { name: 'TypeError', message: 'secret internal detail' },
    })
    log.mockRestore()
  })
})
