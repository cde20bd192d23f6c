/**
 * Offline and installable: the service worker (vite-plugin-pwa, Workbox) and the web app manifest, in
 * Chromium against the Worker. After one online visit with "On this device" on, the page opens offline,
 * from the service worker, and classifies on the device; the model is cached under its content hash, one
 * model at a time; a new deployment's model replaces the cached one on the next online visit; and a
 * first visit downloads only the page, never the on-device engine or model.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { TEST_MODEL_DIR } from '@whisker/fixtures'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { describe, expect, inject, it } from 'vitest'
import { modelRevision } from '../vite/model.ts'
import { CACHES } from '../vite/pwa.ts'
import { browserSession, DESKTOP, results } from './browser.ts'
import type { E2ePhoto } from './context.ts'
import { E2E_DIST } from './paths.ts'
import { freePort, startWorker, writeWorkerTsconfig } from './worker.ts'

const baseUrl = inject('baseUrl')
const card = inject('modelCard')
const next = inject('nextRelease')
const photos = inject('photos')
const cat = photos.find((p) => p.label === 'cat') as E2ePhoto
const dog = photos.find((p) => p.label === 'dog') as E2ePhoto

const { browser, open } = browserSession()

/** Resolves once a service worker controls the page (the first visit's worker has installed and claimed it). */
const controlled = (page: Page) =>
  page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 })

/** Waits for "On this device" to be ready. */
const deviceReady = (page: Page) =>
  expect
    .poll(async () => (await page.locator('#on-device-status').textContent())?.trim(), { timeout: 30_000 })
    .toMatch(/^On: photos stay on this device/)

/** The paths and queries in one of the service worker's caches, sorted. */
const cached = (page: Page, name: string) =>
  page.evaluate(async (name) => {
    const keys = await (await caches.open(name)).keys()
    return keys.map((request) => new URL(request.url).pathname + new URL(request.url).search).sort()
  }, name)
const cachedModel = (page: Page) => cached(page, CACHES.model)

/** The model's files as the page asks for them: under its revision. */
const modelUrls = (revision: string | undefined) =>
  ['card.json', 'model.json', 'weights.bin'].map((file) => `/model/${file}?v=${revision}`)

/** Network failures are what offline means; anything else logged is an error. */
const offlineNoise = /ERR_INTERNET_DISCONNECTED|Failed to fetch/

describe('installable', () => {
  it('has a web app manifest with PNG icons of the sizes it names, and a service worker', async () => {
    const { page, context, errors } = await open()
    try {
      const href = await page.locator('link[rel="manifest"]').getAttribute('href')
      const manifest = (await (await fetch(new URL(href ?? '', baseUrl))).json()) as {
        name: string
        start_url: string
        display: string
        icons: { src: string; sizes: string; type: string; purpose: string }[]
      }
      expect(manifest).toMatchObject({ name: 'Whisker', start_url: '/', display: 'standalone' })
      const pngs = manifest.icons.filter((icon) => icon.type === 'image/png')
      expect(pngs.map((icon) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']))
      expect(pngs.some((icon) => icon.purpose === 'maskable')).toBe(true)
      let bytes = 0
      for (const icon of pngs) {
        const response = await fetch(new URL(icon.src, baseUrl))
        expect(response.headers.get('content-type')).toBe('image/png')
        const png = Buffer.from(await response.arrayBuffer())
        bytes += png.length
        const { width, height } = await sharp(png).metadata()
        expect(`${width}x${height}`).toBe(icon.sizes)
      }
      expect(bytes).toBeLessThan(20_000)
      await controlled(page)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })
})

describe('offline', () => {
  it('opens offline after one visit with the switch on, and classifies on the device', async () => {
    const { page, context, errors } = await open()
    try {
      await controlled(page)
      await page.getByRole('switch', { name: 'On this device' }).check()
      await deviceReady(page)

      await context.setOffline(true)
      const response = await page.reload()
      expect(response?.fromServiceWorker()).toBe(true)
      // The switch was left on: it comes back on, from the cached engine and model.
      await deviceReady(page)
      expect(await page.locator('#on-device-status').textContent()).toContain(card.version.slice(0, 12))
      await page.getByLabel('Choose photos').setInputFiles([cat.path, dog.path])
      const [catHere, dogHere] = await results(page, 2)
      expect(catHere).toMatchObject({ state: 'done', label: 'Cat' })
      expect(dogHere).toMatchObject({ state: 'done', label: 'Dog' })
      expect(dogHere?.meta).toMatch(/on this device · model /)
      // The server is out of reach: the model card comes from the copy on this device.
      await expect.poll(() => page.locator('#model-note').textContent()).toBe('From the copy on this device.')
      expect(errors.filter((error) => !offlineNoise.test(error))).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('keeps one model, under its content hash: a new version’s files replace the old ones', async () => {
    const { page, context } = await open()
    try {
      await controlled(page)
      await page.getByRole('switch', { name: 'On this device' }).check()
      await deviceReady(page)
      expect(await cachedModel(page)).toEqual(modelUrls(await modelRevision(TEST_MODEL_DIR)))
      const engine = await cached(page, CACHES.engine)
      expect(engine.some((path) => /^\/assets\/on-device-[\w-]+\.js$/.test(path))).toBe(true)
      expect(engine.filter((path) => path.endsWith('.wasm')).length).toBeGreaterThanOrEqual(4)

      // A build with another model asks for other URLs (another revision): as they come in through the
      // service worker, the old model's files are dropped.
      await page.evaluate(async () => {
        for (const file of ['card.json', 'model.json', 'weights.bin']) await fetch(`/model/${file}?v=next`)
      })
      await expect.poll(() => cachedModel(page)).toEqual(modelUrls('next'))
    } finally {
      await context.close()
    }
  })
})

describe('a new model version', () => {
  it('replaces the cached one on the next online visit, which says so, and works offline', async () => {
    // Its own Worker, restarted on the same port (same origin: the browser keeps its service worker and
    // caches), first with this deployment (model A), then with the next one (model B).
    const port = await freePort()
    const serve = async (dist: string, modelDir: string, name: string) =>
      startWorker({ tsconfig: await writeWorkerTsconfig(modelDir, name), assets: dist, port, state: name })
    const origin = `http://127.0.0.1:${port}`
    const { page, context, errors } = await open()
    let worker = await serve(E2E_DIST, TEST_MODEL_DIR, 'release-a')
    try {
      await page.goto(origin)
      await controlled(page)
      await page.getByRole('switch', { name: 'On this device' }).check()
      await deviceReady(page)
      expect(await page.locator('#on-device-status').textContent()).toContain(card.version.slice(0, 12))
      expect(await cachedModel(page)).toEqual(modelUrls(await modelRevision(TEST_MODEL_DIR)))

      await worker.stop()
      worker = await serve(next.dist, next.modelDir, 'release-b')
      // The next online visit: the page says it uses B, and the cache holds B's files only.
      await page.goto(origin)
      await expect
        .poll(async () => (await page.locator('#on-device-status').textContent()) ?? '', { timeout: 60_000 })
        .toContain(`model ${next.version.slice(0, 12)}`)
      expect(next.version).not.toBe(card.version)
      await expect.poll(() => cachedModel(page)).toEqual(modelUrls(await modelRevision(next.modelDir)))
      await page.getByLabel('Choose photos').setInputFiles([cat.path])
      const [online] = await results(page, 1)
      expect(online).toMatchObject({ state: 'done', label: 'Cat' })
      expect(online?.meta).toContain(`on this device · model ${next.version.slice(0, 12)}`)

      // Offline: the page and model B come from this device.
      await context.setOffline(true)
      const response = await page.reload()
      expect(response?.fromServiceWorker()).toBe(true)
      await deviceReady(page)
      expect(await page.locator('#on-device-status').textContent()).toContain(next.version.slice(0, 12))
      await page.getByLabel('Choose photos').setInputFiles([dog.path])
      const [offline] = await results(page, 1)
      expect(offline).toMatchObject({ state: 'done', label: 'Dog' })
      expect(offline?.meta).toContain(`on this device · model ${next.version.slice(0, 12)}`)
      expect(await cachedModel(page)).toEqual(modelUrls(await modelRevision(next.modelDir)))
      expect(errors.filter((error) => !offlineNoise.test(error))).toEqual([])
    } finally {
      await context.close()
      await worker.stop()
    }
  }, 180_000)
})

/** The most the page's scripts may weigh on a first visit, gzip -9: what a phone on a slow link can wait for. */
const SCRIPT_BUDGET_BYTES = 25_000

describe('first visit', () => {
  it('downloads the page only (gzip bytes reported, scripts within budget); the engine and model wait for the switch', async () => {
    const context = await browser().newContext(DESKTOP)
    try {
      const fetched: { path: string; by: 'page' | 'service worker' }[] = []
      context.on('requestfinished', async (request) => {
        const url = new URL(request.url())
        // Only answers with a body: a redirect (/index.html → /) or a 304 revalidation downloads none.
        if (url.origin !== baseUrl || request.method() !== 'GET') return
        if ((await request.response())?.status() !== 200) return
        fetched.push({ path: url.pathname, by: request.serviceWorker() ? 'service worker' : 'page' })
      })
      const page = await context.newPage()
      await page.goto(baseUrl)
      await controlled(page)
      await page.locator('#model').waitFor({ state: 'visible' })

      const files = fetched.filter(({ path }) => !path.startsWith('/v1/')) // the API answers, not files
      expect(files.some(({ path }) => /^\/(model\/|assets\/on-device-)|\.wasm$/.test(path))).toBe(false)
      const gzipped = (path: string) =>
        gzipSync(readFileSync(join(E2E_DIST, path === '/' ? 'index.html' : path)), { level: 9 }).length
      const total = (by: string) =>
        files.filter((f) => f.by === by).reduce((sum, f) => sum + gzipped(f.path), 0)
      const [pageBytes, workerBytes] = [total('page'), total('service worker')]
      console.log(
        `first visit: page ${pageBytes} B gzip (${files
          .filter((f) => f.by === 'page')
          .map((f) => f.path)
          .join(', ')}); service worker ${workerBytes} B gzip (${files
          .filter((f) => f.by === 'service worker')
          .map((f) => f.path)
          .join(', ')}); gzip -9 of the built files`,
      )
      expect(pageBytes).toBeGreaterThan(0)
      // The page's own script carries zod/mini and the contract's schemas (it validates every answer with
      // them): about 19 kB gzip. Full zod would take it past 100 kB; this budget fails that.
      const scripts = files.filter((f) => f.by === 'page' && f.path.endsWith('.js'))
      expect(scripts.reduce((sum, f) => sum + gzipped(f.path), 0)).toBeLessThanOrEqual(SCRIPT_BUDGET_BYTES)
    } finally {
      await context.close()
    }
  })
})
