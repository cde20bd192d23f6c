/**
 * The live camera in Chromium with its fake camera (`--use-fake-device-for-media-stream`, allowed by
 * `--use-fake-ui-for-media-stream`): filming a real cat photo, it must say "Cat" on this device and send
 * a frozen frame to the Worker; with the moving test pattern, the frame rate is measured and reported;
 * with two fake cameras, "Switch camera" changes camera. The camera must be released when the page is
 * hidden and when the view closes.
 */

import { readImageHeader } from '@whisker/preprocess'
import type { Page } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { browserSession, results, uploadsOf } from './browser.ts'
import { FAKE_CAMERA_ARGS } from './chromium.ts'

const card = inject('modelCard')

/** Waits until the live view classifies (again): its state is live and it shows a label. */
async function waitLive(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      document.getElementById('live')?.dataset.state === 'live' &&
      (document.getElementById('live-label')?.textContent ?? '') !== '',
    undefined,
    { timeout: 30_000 },
  )
}

/** Opens the live view and waits for the first reading. */
async function goLive(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Live camera' }).click()
  await waitLive(page)
}

/** The live view's camera track, as the page holds it. */
const track = (page: Page) =>
  page.evaluate(() => {
    const stream = (document.getElementById('live-video') as HTMLVideoElement).srcObject
    const [video] = stream instanceof MediaStream ? stream.getVideoTracks() : []
    return video ? { label: video.label, state: video.readyState } : undefined
  })

/** Makes the page hidden or visible again, as switching tabs or locking the phone does. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((hidden) => {
    Object.defineProperty(document, 'visibilityState', {
      value: hidden ? 'hidden' : 'visible',
      configurable: true,
    })
    Object.defineProperty(document, 'hidden', { value: hidden, configurable: true })
    document.dispatchEvent(new Event('visibilitychange'))
  }, hidden)

describe('the live camera, filming a real cat photo', () => {
  const { withPage } = browserSession([
    ...FAKE_CAMERA_ARGS,
    `--use-file-for-fake-video-capture=${inject('catVideo')}`,
  ])

  it('says Cat on this device, steadily, and sends a frozen frame to the Worker like a photo', async () => {
    await withPage(async ({ page }) => {
      await goLive(page)
      expect(await page.locator('#live-label').textContent()).toBe('Cat')
      expect(await page.locator('#live-confidence').textContent()).toMatch(/^(\d+|>99)% confident$/)
      expect(await page.locator('#live-note').textContent()).toContain(card.version.slice(0, 12))
      // Frame after frame: the rate line appears once two frames are done, and nothing was uploaded.
      await expect
        .poll(() => page.locator('#live-rate').textContent())
        .toMatch(/frames a second · \d+ ms on this device$/)
      expect(await uploadsOf(page)).toEqual([])

      await page.getByRole('button', { name: 'Freeze and send' }).click()
      const [sent] = await results(page, 1)
      expect(sent).toMatchObject({ state: 'done', label: 'Cat' })
      expect(sent?.meta).toMatch(/round trip/) // the server answered, not this device
      const uploads = await uploadsOf(page)
      expect(uploads).toHaveLength(1)
      // The camera's 640 × 480 frame as a JPEG, shrunk to 512 px on its long side like any photo.
      expect(readImageHeader(uploads[0]!.images[0]!)).toMatchObject({
        format: 'jpeg',
        width: 512,
        height: 384,
      })
      // Frozen: the frame stays on screen, the camera is released, and Resume takes it again.
      expect(await page.locator('#live-still').isVisible()).toBe(true)
      expect(await track(page)).toBeUndefined()
      await page.getByRole('button', { name: 'Resume' }).click()
      await expect.poll(() => track(page)).toMatchObject({ state: 'live' })
      expect(await page.locator('#live-still').isVisible()).toBe(false)
    })
  })

  it('releases the camera while the page is hidden and when closed, and takes it again when shown', async () => {
    await withPage(async ({ page }) => {
      await goLive(page)
      await page.evaluate(() => {
        const stream = (document.getElementById('live-video') as HTMLVideoElement).srcObject as MediaStream
        Object.assign(window, { __firstTrack: stream.getVideoTracks()[0] })
      })
      const first = () =>
        page.evaluate(() => (window as unknown as { __firstTrack: MediaStreamTrack }).__firstTrack.readyState)

      await setHidden(page, true)
      expect(await first()).toBe('ended')
      expect(await track(page)).toBeUndefined()

      await setHidden(page, false)
      await expect.poll(() => track(page)).toMatchObject({ state: 'live' })
      await page.evaluate(() => {
        const stream = (document.getElementById('live-video') as HTMLVideoElement).srcObject as MediaStream
        Object.assign(window, { __firstTrack: stream.getVideoTracks()[0] })
      })
      await waitLive(page)
      await page.getByRole('button', { name: 'Close' }).first().click()
      expect(await first()).toBe('ended')
      expect(await page.locator('#live').isVisible()).toBe(false)
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('live-open')
      expect(await page.getByRole('button', { name: 'Live camera' }).getAttribute('aria-expanded')).toBe(
        'false',
      )
    })
  })
})

describe('the live camera, with Chromium’s fake camera pattern', () => {
  const { withPage } = browserSession(FAKE_CAMERA_ARGS)

  it('classifies frame after frame: frames per second, median of five 1 s windows', async () => {
    await withPage(async ({ page }) => {
      await goLive(page)
      // Frames classified = readings shown: count the page's updates of its reading, one per frame.
      const rates = await page.evaluate(async () => {
        const target = document.getElementById('live-rate') as HTMLElement
        const perSecond: number[] = []
        for (let i = 0; i < 5; i++) {
          let frames = 0
          const observer = new MutationObserver((records) => {
            frames += records.length
          })
          observer.observe(target, { childList: true })
          const started = performance.now()
          await new Promise((resolve) => setTimeout(resolve, 1000))
          observer.disconnect()
          perSecond.push((frames * 1000) / (performance.now() - started))
        }
        return perSecond
      })
      const median = [...rates].sort((a, b) => a - b)[2] as number
      const shown = await page.locator('#live-rate').textContent()
      const chromium = page.context().browser()?.version()
      console.log(
        `live view: median ${median.toFixed(1)} frames/s (5 windows of 1 s: ${rates.map((r) => r.toFixed(1)).join(', ')}), page shows "${shown}"; Chromium ${chromium}, fake camera 640×480 at 20 frames/s`,
      )
      expect(median).toBeGreaterThan(1)
      expect(median).toBeLessThanOrEqual(21) // never more than the camera gives
    })
  })
})

describe('the live camera, with two fake cameras', () => {
  const { withPage } = browserSession([
    '--use-fake-device-for-media-stream=device-count=2',
    '--use-fake-ui-for-media-stream',
  ])

  it('switches from one camera to the other and keeps classifying', async () => {
    await withPage(async ({ page }) => {
      await goLive(page)
      const before = await track(page)
      const button = page.getByRole('button', { name: 'Switch camera' })
      await button.waitFor({ state: 'visible' })
      await button.click()
      // Between the old track's stop and the new one's start the video has no track: wait for the new one.
      await expect
        .poll(async () => {
          const now = await track(page)
          return now !== undefined && now.label !== before?.label && now.state === 'live'
        })
        .toBe(true)
      await waitLive(page)
    })
  })
})
