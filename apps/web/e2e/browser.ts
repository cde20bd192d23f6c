/**
 * What every browser test file shares: one Chromium per file (launched before its tests, closed after),
 * a fresh context per test (fresh storage, service workers and caches), the viewports, and readers of
 * the page's results and uploads.
 */
import { CHROMIUM_ARGS } from '@whisker/fixtures'
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core'
import { afterAll, beforeAll, expect, inject } from 'vitest'

/** Reduced motion: no smooth scrolling or spinners moving under the screenshots. */
export const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 },
  reducedMotion: 'reduce',
}
export const PHONE: BrowserContextOptions = {
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  reducedMotion: 'reduce',
}

export interface Opened {
  readonly context: BrowserContext
  readonly page: Page
  /** Uncaught errors and console errors: a test fails if there are any. */
  readonly errors: string[]
}

/** One POST /v1/classify the page made: the images it carried (one for a raw body, several for multipart). */
export interface Upload {
  readonly multipart: boolean
  readonly images: Buffer[]
}

/**
 * Records what the page sends to /v1/classify, in the page itself: Chromium does not hand blob and
 * multipart bodies to the DevTools protocol, so the test wraps `fetch` and reads the bodies there.
 */
function recordUploads(): void {
  const record: { multipart: boolean; images: string[] }[] = []
  Object.assign(window, { __uploads: record })
  const original = window.fetch.bind(window)
  const base64 = async (blob: Blob) => {
    let binary = ''
    for (const byte of new Uint8Array(await blob.arrayBuffer())) binary += String.fromCharCode(byte)
    return btoa(binary)
  }
  window.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (init?.method === 'POST' && new URL(url, location.href).pathname === '/v1/classify') {
      const body = init.body
      if (body instanceof FormData) {
        const images = body.getAll('image').filter((value): value is File => value instanceof File)
        record.push({ multipart: true, images: await Promise.all(images.map(base64)) })
      } else if (body instanceof Blob) {
        record.push({ multipart: false, images: [await base64(body)] })
      }
    }
    return original(input, init)
  }
}

export async function uploadsOf(page: Page): Promise<Upload[]> {
  const record = await page.evaluate(
    () => (window as unknown as { __uploads: { multipart: boolean; images: string[] }[] }).__uploads,
  )
  return record.map((r) => ({
    multipart: r.multipart,
    images: r.images.map((b) => Buffer.from(b, 'base64')),
  }))
}

/** Chromium logs every 4xx answer as a console error; the tests that cause them look at the page instead. */
const expectedNoise = /^Failed to load resource: the server responded with a status of 4\d\d/

export interface BrowserSession {
  readonly browser: () => Browser
  /** A fresh context and page at the Worker's `/`, recording uploads and errors. */
  open(options?: BrowserContextOptions): Promise<Opened>
  /** Runs `test` on a fresh page and closes it, failing on any page error. */
  withPage(test: (opened: Opened) => Promise<void>, options?: BrowserContextOptions): Promise<void>
}

/** Launches Chromium (with `args` added to CHROMIUM_ARGS) before this file's tests, closes it after. */
export function browserSession(args: readonly string[] = []): BrowserSession {
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: inject('chromiumPath'),
      args: [...CHROMIUM_ARGS, ...args],
    })
  })
  afterAll(async () => {
    await browser?.close()
  })
  const current = () => {
    if (!browser) throw new Error('the browser is not launched yet')
    return browser
  }

  async function open(options: BrowserContextOptions = DESKTOP): Promise<Opened> {
    const context = await current().newContext(options)
    await context.addInitScript(recordUploads)
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedNoise.test(message.text())) errors.push(message.text())
    })
    await page.goto(inject('baseUrl'))
    return { context, page, errors }
  }

  async function withPage(
    test: (opened: Opened) => Promise<void>,
    options?: BrowserContextOptions,
  ): Promise<void> {
    const opened = await open(options)
    try {
      await test(opened)
      expect(opened.errors).toEqual([])
    } finally {
      await opened.context.close()
    }
  }

  return { browser: current, open, withPage }
}

/** Waits until every result card has finished, then returns each card's state, label and texts. */
export async function results(page: Page, count: number) {
  await page.waitForFunction(
    (n) => {
      const cards = [...document.querySelectorAll('#results .result')]
      return cards.length === n && cards.every((c) => (c as HTMLElement).dataset.state !== 'busy')
    },
    count,
    { timeout: 20_000 },
  )
  return page.$$eval('#results .result', (cards) =>
    cards.map((c) => ({
      state: (c as HTMLElement).dataset.state,
      name: c.querySelector('.result__name')?.textContent ?? '',
      label: c.querySelector('.result__label')?.textContent ?? '',
      confidence: c.querySelector('.result__confidence')?.textContent ?? '',
      bars: [...c.querySelectorAll('.bar')].map((b) => b.textContent ?? ''),
      meta: [...c.querySelectorAll('.result__facts li')].map((li) => li.textContent).join(' · '),
      error: c.querySelector('.result__error')?.textContent ?? '',
    })),
  )
}

export const statusText = async (page: Page) => ((await page.locator('#status').textContent()) ?? '').trim()
