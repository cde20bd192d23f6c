import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, classify } from '../test/client.ts'
import type { AccessLogLine } from './middleware/access-log.ts'

afterEach(() => vi.restoreAllMocks())

/** The access-log lines printed while `send` ran. */
async function logged(send: () => Promise<Response>): Promise<{ res: Response; lines: AccessLogLine[] }> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {})
  const res = await send()
  await res.arrayBuffer()
  const lines = log.mock.calls
    .map(([first]) => JSON.parse(String(first)) as AccessLogLine)
    .filter((line) => line.msg === 'request')
  log.mockRestore()
  return { res, lines }
}

describe('structured logs: one JSON line per request', () => {
  it('logs method, path (no query), status, ms and the request id of a success', async () => {
    const { res, lines } = await logged(() => call('/v1/model?secret=1'))
    expect(lines).toEqual([
      {
        level: 'info',
        msg: 'request',
        requestId: res.headers.get('X-Request-Id'),
        method: 'GET',
        path: '/v1/model',
        status: 200,
        ms: expect.any(Number),
      },
    ])
  })

  it('logs a client error with its final status, and a classify answer with its cache status', async () => {
    const failed = await logged(() => classify(new Uint8Array(0)))
    expect(failed.lines).toHaveLength(1)
    expect(failed.lines[0]).toMatchObject({ method: 'POST', path: '/v1/classify', status: 400 })
    expect(failed.lines[0]!.requestId).toBe(failed.res.headers.get('X-Request-Id'))

    const page = await logged(() => call('/'))
    expect(page.lines).toMatchObject([{ path: '/', status: 200 }])
  })
})
