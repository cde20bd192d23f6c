import { describe, expect, it } from 'vitest'
import { call, classify } from '../test/client.ts'

/** Parses a Content-Security-Policy header into directive → sources. */
function csp(res: Response): Map<string, string[]> {
  const policy = res.headers.get('Content-Security-Policy') ?? ''
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  )
}

describe('the web page, served from apps/web/dist through the Worker', () => {
  it('is served at / as HTML, with X-Request-Id and Server-Timing like every API response', async () => {
    const res = await call('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(await res.text()).toContain('<title>Whisker')
    expect(res.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('Server-Timing')).toMatch(/total;dur=/)
  })

  it('serves the page’s own files, and a 404 for a missing one', async () => {
    const html = await (await call('/')).text()
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const js = await call(script!)
    expect(js.status).toBe(200)
    expect(js.headers.get('Content-Type')).toMatch(/javascript/)
    expect((await call('/no-such-file.js')).status).toBe(404)
  })

  it('has a CSP that allows exactly what the page needs: own scripts, styles and API, blob:/data: images', async () => {
    const policy = csp(await call('/'))
    expect(policy.get('default-src')).toEqual(["'self'"])
    // no inline script, no JS eval; WebAssembly for the page's on-device mode
    expect(policy.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"])
    expect(policy.get('style-src')).toEqual(["'self'"])
    expect(policy.get('connect-src')).toEqual(["'self'"])
    expect(policy.get('img-src')).toContain('blob:') // URL.createObjectURL preview of the chosen photo
    expect(policy.get('img-src')).toContain('data:') // thumbnails of recent results (canvas.toDataURL)
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
  })

  it('the page has no inline script or style that the CSP would block', async () => {
    const html = await (await call('/')).text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // every <script> has a src
    expect(html).not.toMatch(/<style\b/)
    expect(html).not.toMatch(/\sstyle="/)
    expect(html).not.toMatch(/\son[a-z]+="/) // no inline event handlers
  })
})

describe('security headers on every response', () => {
  const responses = {
    page: () => call('/'),
    'API success': () => call('/healthz'),
    'API problem': () => classify(new Uint8Array(0)),
    '404': () => call('/v1/nope'),
  }
  for (const [what, send] of Object.entries(responses)) {
    it(`are sent with the ${what}`, async () => {
      const res = await send()
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(res.headers.get('X-Frame-Options')).toBe('DENY')
      expect(res.headers.get('Referrer-Policy')).toBe('strict-origin-when-cross-origin')
      expect(csp(res).get('frame-ancestors')).toEqual(["'none'"])
      expect(res.headers.get('Strict-Transport-Security')).toMatch(/max-age=\d+/)
    })
  }
})
