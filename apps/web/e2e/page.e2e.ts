/**
 * The built page in Debian's Chromium against the real Worker (`wrangler dev`, started by global-setup.ts)
 * classifying real photos with a real model. Each test gets a fresh browser context (fresh storage).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readImageHeader } from '@whisker/preprocess'
import type { Page } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { browserSession, DESKTOP, PHONE, results, statusText, uploadsOf } from './browser.ts'
import type { E2ePhoto } from './context.ts'
import { ARTIFACTS_DIR } from './paths.ts'

const baseUrl = inject('baseUrl')
const card = inject('modelCard')
const photos = inject('photos')
/** The first validation photo of each class, chosen by name, not by whether the model gets it right. */
const cat = photos.find((p) => p.label === 'cat') as E2ePhoto
const dog = photos.find((p) => p.label === 'dog') as E2ePhoto

const { withPage } = browserSession()

/** Dispatches a drop (or paste) of files made in the page from base64, as a person dragging files would. */
async function dropFiles(
  page: Page,
  event: 'drop' | 'paste',
  files: { name: string; type: string; base64: string }[],
): Promise<void> {
  await page.evaluate(
    ({ event, files }) => {
      const transfer = new DataTransfer()
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))
        transfer.items.add(new File([bytes], f.name, { type: f.type }))
      }
      if (event === 'paste') {
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true }))
      } else {
        const target = document.getElementById('dropzone') as HTMLElement
        target.dispatchEvent(
          new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }),
        )
        target.dispatchEvent(
          new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
        )
      }
    },
    { event, files },
  )
}

describe('the Worker under test', () => {
  it('serves the e2e model: wrangler honoured the --tsconfig mapping of #model/*', async () => {
    const model = (await (await fetch(`${baseUrl}/v1/model`)).json()) as { version: string }
    expect(model.version).toBe(card.version)
    const health = (await (await fetch(`${baseUrl}/healthz`)).json()) as { model: string }
    expect(health.model).toBe(card.version)
  })
})

describe('the page', () => {
  it('shows the model card: version, classes and the accuracy to expect on new photos', async () => {
    await withPage(async ({ page }) => {
      await page.locator('#model').waitFor({ state: 'visible' })
      const rows = await page.$$eval('#model .model__row', (groups) =>
        groups.map((g) => [g.querySelector('dt')?.textContent, g.querySelector('dd')?.textContent]),
      )
      const value = (term: string) => rows.find(([t]) => t?.startsWith(term))?.[1]
      expect(value('Version')).toBe(`${card.version.slice(0, 12)}…`)
      expect(value('Classes')).toBe('Cat and Dog')
      const pct = (v: number) => `${(v * 100).toFixed(1)}%`
      const [low, high] = card.estimate.accuracyInterval
      // The e2e model seals a share of its photos: the figure is the served model's on them.
      expect(value('Expected accuracy on new photos')).toBe(
        `${pct(card.estimate.accuracy)} (95 % interval ${pct(low)}–${pct(high)}), from ${card.estimate.count} photos set aside before training`,
      )
    })
  })

  it('labels a real cat photo and a real dog photo chosen together: one request, one card each', async () => {
    await withPage(async ({ page }) => {
      await page.getByLabel('Choose photos').setInputFiles([cat.path, dog.path])
      const [catCard, dogCard] = await results(page, 2)
      expect(catCard).toMatchObject({ state: 'done', name: cat.name, label: 'Cat' })
      expect(dogCard).toMatchObject({ state: 'done', name: dog.name, label: 'Dog' })
      for (const result of [catCard, dogCard]) {
        expect(result?.confidence).toMatch(/^(\d+|>99)% confident$/)
        expect(result?.bars).toHaveLength(card.labels.length)
        expect(result?.meta).toMatch(
          new RegExp(
            `^\\d[\\d,]* ms round trip for 2 photos · Sent .* · model ${card.version.slice(0, 12)}…$`,
          ),
        )
      }
      expect(await statusText(page)).toBe('2 photos: Cat and Dog.')

      // Both in one multipart request; photos already at most 512 px long are sent byte for byte.
      const uploads = await uploadsOf(page)
      expect(uploads).toHaveLength(1)
      expect(uploads[0]?.multipart).toBe(true)
      expect(uploads[0]?.images).toHaveLength(2)
      for (const [i, photo] of [cat, dog].entries()) {
        const bytes = readFileSync(photo.path)
        const header = readImageHeader(bytes)
        if (Math.max(header.width, header.height) <= 512) {
          expect(uploads[0]?.images[i]?.equals(bytes), `${photo.name} sent as it is`).toBe(true)
        }
      }
    })
  })

  it('shrinks a big dropped photo to 512 pixels before sending it, and still labels it', async () => {
    await withPage(async ({ page }) => {
      // A 2000-pixel-wide JPEG made in the page from the dog photo, dropped like a file from the desktop.
      const big = await page.evaluate(async (base64) => {
        const source = await createImageBitmap(
          new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))]),
        )
        const canvas = document.createElement('canvas')
        canvas.width = 2000
        canvas.height = Math.round((2000 * source.height) / source.width)
        canvas.getContext('2d')?.drawImage(source, 0, 0, canvas.width, canvas.height)
        const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.95))
        const bytes = new Uint8Array(await (blob as Blob).arrayBuffer())
        let binary = ''
        for (const byte of bytes) binary += String.fromCharCode(byte)
        return { base64: btoa(binary), width: canvas.width, height: canvas.height, size: bytes.length }
      }, readFileSync(dog.path).toString('base64'))

      await dropFiles(page, 'drop', [{ name: 'big-dog.jpg', type: 'image/jpeg', base64: big.base64 }])
      const [result] = await results(page, 1)
      expect(result).toMatchObject({ state: 'done', label: 'Dog' })

      const uploads = await uploadsOf(page)
      expect(uploads).toHaveLength(1)
      expect(uploads[0]?.multipart).toBe(false) // one photo: a raw body
      const bytes = uploads[0]?.images[0] as Buffer
      const sent = readImageHeader(new Uint8Array(bytes))
      expect(sent.format).toBe('jpeg')
      expect(Math.max(sent.width, sent.height)).toBe(512)
      expect(sent.width / sent.height).toBeCloseTo(big.width / big.height, 1)
      expect(bytes.length).toBeLessThan(big.size / 4)
      expect(result?.meta).toContain(`Sent ${sent.width} × ${sent.height}`)
      expect(result?.meta).toMatch(/\(photo was [\d.]+ (kB|MB)\)/)
    })
  })

  it('classifies a pasted image', async () => {
    await withPage(async ({ page }) => {
      const base64 = readFileSync(cat.path).toString('base64')
      await dropFiles(page, 'paste', [{ name: 'image.png', type: 'image/jpeg', base64 }])
      const [result] = await results(page, 1)
      expect(result).toMatchObject({ state: 'done', label: 'Cat' })
      expect(await statusText(page)).toMatch(/^Cat, (\d+|>99)% confident$/)
    })
  })

  it('explains a file that is not an image in plain words, never a stack trace', async () => {
    await withPage(async ({ page }) => {
      const text = Buffer.from('Just some notes, not a photo.\n')
      await page.getByLabel('Choose photos').setInputFiles([
        { name: 'notes.txt', mimeType: 'text/plain', buffer: text },
        // Claims to be a JPEG, so the browser sends it and the Worker refuses it (415 problem+json).
        { name: 'fake.jpg', mimeType: 'image/jpeg', buffer: text },
      ])
      const cards = await results(page, 2)
      for (const result of cards) {
        expect(result.state).toBe('error')
        expect(result.error).toBe("That file isn't an image we can read. Try a JPEG, PNG or WebP photo.")
      }
      // The .txt never left the page; the fake JPEG reached the Worker, alone.
      const uploads = await uploadsOf(page)
      expect(uploads.map((u) => u.images.length)).toEqual([1])
      const shown = (await page.locator('body').textContent()) ?? ''
      expect(shown).not.toMatch(/Error:|\bat \w+ \(|UNSUPPORTED_TYPE|problem|stack/i)
      expect(await statusText(page)).toBe("2 photos. 2 couldn't be classified.")
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'errors-desktop.png') })
    })
  })

  it('keeps recent results, newest first, across a reload, until cleared', async () => {
    await withPage(async ({ page }) => {
      const recent = () =>
        page.$$eval('#recent .recent__label', (items) => items.map((i) => i.textContent ?? ''))
      expect(await page.locator('#recent-empty').isVisible()).toBe(true)

      await page.getByLabel('Choose photos').setInputFiles(cat.path)
      await results(page, 1)
      await page.getByLabel('Choose photos').setInputFiles(dog.path)
      await page.waitForFunction(() => document.querySelectorAll('#recent .recent__item').length === 2)
      expect(await recent()).toEqual([expect.stringMatching(/^Dog · /), expect.stringMatching(/^Cat · /)])
      expect(await page.locator('#recent .recent__thumb').first().getAttribute('src')).toMatch(
        /^data:image\/jpeg;base64,/,
      )

      await page.reload()
      await page.locator('#recent .recent__item').first().waitFor()
      expect(await recent()).toEqual([expect.stringMatching(/^Dog · /), expect.stringMatching(/^Cat · /)])

      await page.getByRole('button', { name: 'Clear' }).click()
      expect(await recent()).toEqual([])
      expect(await page.locator('#recent-empty').isVisible()).toBe(true)
      await page.reload()
      expect(await recent()).toEqual([])
    })
  })

  it('can be used with the keyboard, and every control has a name', async () => {
    await withPage(async ({ page }) => {
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('photo')
      // The focus ring is drawn on the visible button of the (visually hidden) file input.
      const ring = await page.$eval('label[for="photo"]', (label) => getComputedStyle(label).outlineStyle)
      expect(ring).toBe('solid')
      await page.keyboard.press('Tab') // the camera button is hidden on desktops: next is the live view
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('live-open')
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('on-device')

      await expect.poll(() => page.getByRole('switch', { name: 'On this device' }).count()).toBe(1)
      expect(await page.getByRole('button', { name: 'Choose photos' }).count()).toBe(1)
      expect(await page.getByRole('button', { name: 'Live camera' }).count()).toBe(1)
      expect(await page.getByRole('region', { name: 'Results' }).count()).toBe(1)
      expect(await page.getByRole('status').count()).toBe(1)
    })
  })

  it('on this device: runs the same model in the browser, with the same answer, and keeps working offline', async () => {
    await withPage(async ({ page, context }) => {
      // The server's answer first, to compare.
      await page.getByLabel('Choose photos').setInputFiles(dog.path)
      const [server] = await results(page, 1)

      await page.getByRole('switch', { name: 'On this device' }).check()
      await expect
        .poll(async () => (await page.locator('#on-device-status').textContent())?.trim(), {
          timeout: 20_000,
        })
        .toMatch(/^On: photos stay on this device/)
      expect(await page.locator('#on-device-status').textContent()).toContain(card.version.slice(0, 12))

      await context.setOffline(true)
      await page.getByLabel('Choose photos').setInputFiles([cat.path, dog.path])
      const [catHere, dogHere] = await results(page, 2)
      expect(catHere).toMatchObject({ state: 'done', label: 'Cat' })
      expect(dogHere).toMatchObject({ state: 'done', label: 'Dog' })
      expect(dogHere?.meta).toMatch(/^\d[\d,]* ms on this device · model /)
      // Same graph and predictor as the Worker. The decoder is the Worker's own wasm one where the page's CSP
      // allows WebAssembly, else the browser's: the same answer either way, scores within a point or two.
      expect(dogHere?.label).toBe(server?.label)
      const score = (bar: string | undefined) => Number(/(\d+)%$/.exec(bar ?? '')?.[1] ?? Number.NaN)
      expect(Math.abs(score(dogHere?.bars[0]) - score(server?.bars[0]))).toBeLessThanOrEqual(2)
      expect(await uploadsOf(page)).toHaveLength(1) // only the first, server-side photo was uploaded
      // Heatmaps too, made in the page by the same model-core code (a canvas makes the PNG).
      expect(await page.getByRole('button', { name: 'Show where it looked' }).count()).toBe(2)
      await page.getByRole('button', { name: 'Show where it looked' }).first().click()
      const natural = await page
        .locator('.result__heatmap')
        .first()
        .evaluate((img: HTMLImageElement) => [img.naturalWidth, img.src.slice(0, 22)])
      expect(natural).toEqual([56, 'data:image/png;base64,'])
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'on-device-offline-desktop.png') })
    })
  })
})

describe('where it looked', () => {
  it('lays the heatmap over the photo behind a toggle, large enough to read on a 360 px phone', async () => {
    await withPage(async ({ page }) => {
      const asked: string[] = []
      page.on('request', (request) => {
        if (request.method() === 'POST') asked.push(new URL(request.url()).search)
      })
      await page.getByLabel('Choose photos').setInputFiles(cat.path)
      const [result] = await results(page, 1)
      expect(result).toMatchObject({ state: 'done', label: 'Cat' })
      expect(asked).toEqual(['?explain=1'])

      const toggle = page.getByRole('button', { name: 'Show where it looked' })
      const heatmap = page.locator('.result__heatmap')
      const legend = page.locator('.result__legend')
      expect(await toggle.getAttribute('aria-pressed')).toBe('false')
      expect(await heatmap.isVisible()).toBe(false)
      const thumbnail = await page.locator('.result__media').boundingBox()
      expect(thumbnail?.width).toBeLessThan(100)

      await toggle.click()
      expect(await toggle.getAttribute('aria-pressed')).toBe('true')
      await heatmap.waitFor({ state: 'visible' })
      expect(await legend.textContent()).toMatch(
        /^Warmer colours: where it looked most to say “Cat” \((Grad-CAM|class activation map)\)\.$/,
      )
      // The Worker's 56 px PNG, drawn over exactly the photo's square, which now takes the card's width.
      const drawn = await heatmap.evaluate((img: HTMLImageElement) => ({
        src: img.src.slice(0, 22),
        natural: [img.naturalWidth, img.naturalHeight],
        opacity: getComputedStyle(img).opacity,
      }))
      expect(drawn).toEqual({ src: 'data:image/png;base64,', natural: [56, 56], opacity: '0.8' })
      const [media, photo, overlay] = await Promise.all(
        ['.result__media', '.result__image', '.result__heatmap'].map((s) => page.locator(s).boundingBox()),
      )
      expect(overlay).toEqual(photo)
      expect(overlay).toEqual(media)
      expect(media!.width).toBeGreaterThanOrEqual(280)
      expect(media!.width).toBeCloseTo(media!.height, 0)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
      await page.locator('.result').scrollIntoViewIfNeeded()
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'explain-phone-360x740.png') })

      await toggle.click()
      expect(await toggle.getAttribute('aria-pressed')).toBe('false')
      expect(await heatmap.isVisible()).toBe(false)
      expect(await legend.isVisible()).toBe(false)
    }, PHONE)
  })

  it('gives every card of a batch its own toggle, on the desktop too, and in the dark', async () => {
    await withPage(
      async ({ page }) => {
        await page.getByLabel('Choose photos').setInputFiles([cat.path, dog.path])
        await results(page, 2)
        const toggles = page.getByRole('button', { name: 'Show where it looked' })
        expect(await toggles.count()).toBe(2)
        await toggles.nth(1).click()
        expect(await page.locator('.result__heatmap:visible').count()).toBe(1)
        expect(await page.locator('.result__legend:visible').textContent()).toContain('“Dog”')
        await page.locator('#results').scrollIntoViewIfNeeded()
        await page.screenshot({ path: join(ARTIFACTS_DIR, 'explain-desktop-1280x800-dark.png') })
      },
      { ...DESKTOP, colorScheme: 'dark' },
    )
  })
})

describe('screenshots (test-results/e2e/)', () => {
  for (const [name, options] of [
    ['desktop-1280x800', DESKTOP],
    ['phone-360x740', PHONE],
    ['phone-360x740-dark', { ...PHONE, colorScheme: 'dark' }],
  ] as const) {
    it(`${name}: two results, recent list and model card, nothing wider than the screen`, async () => {
      await withPage(async ({ page }) => {
        await page.getByLabel('Choose photos').setInputFiles([cat.path, dog.path])
        await results(page, 2)
        await page.locator('#model').waitFor({ state: 'visible' })
        const width = options.viewport?.width ?? 0
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width)
        if (options.hasTouch) expect(await page.getByText('Take a photo').isVisible()).toBe(true)
        await page.evaluate(() => window.scrollTo(0, 0))
        await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) })
        // Further down, as a person scrolling would see it (a full-page shot drops the touch emulation).
        await page.locator('#results').scrollIntoViewIfNeeded()
        await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}-results.png`) })
        await page.locator('#model').scrollIntoViewIfNeeded()
        await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}-side.png`) })
      }, options)
    })
  }
})
