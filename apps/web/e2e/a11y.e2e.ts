/**
 * axe-core, injected into the page, on every state of it: empty, results, the heatmap shown, an error,
 * the live camera (Chromium's fake camera filming a real cat), and on a dark phone too. Zero violations,
 * with axe's default rules (WCAG 2 A and AA, best practices): the page is fixed, no rule is turned off.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import { describe, expect, inject, it } from 'vitest'
import { browserSession, DESKTOP, PHONE, results } from './browser.ts'
import { FAKE_CAMERA_ARGS } from './chromium.ts'
import type { E2ePhoto } from './context.ts'

const photos = inject('photos')
const cat = photos.find((p) => p.label === 'cat') as E2ePhoto
const dog = photos.find((p) => p.label === 'dog') as E2ePhoto

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface Violation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly targets: string[]
}

/**
 * The violations axe finds in the page as it is now. Evaluated through DevTools, which the page's CSP
 * (no inline script) does not govern, so the page runs exactly as served.
 */
async function violations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe
    interface AxeResults {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[]
      passes: unknown[]
    }
    const result = await axe.run(document)
    // A run that checked nothing would pass vacuously.
    if (result.passes.length < 10) throw new Error(`axe checked only ${result.passes.length} rules`)
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }))
  })
}

const { withPage } = browserSession([
  ...FAKE_CAMERA_ARGS,
  `--use-file-for-fake-video-capture=${inject('catVideo')}`,
])

describe('accessibility (axe-core)', () => {
  for (const [scheme, options] of [
    ['desktop, light', DESKTOP],
    ['phone, dark', { ...PHONE, colorScheme: 'dark' as const }],
  ] as const) {
    it(`${scheme}: empty, results, heatmap, error and live view have no violations`, async () => {
      await withPage(async ({ page }) => {
        await page.locator('#model').waitFor({ state: 'visible' })
        expect(await violations(page), 'empty').toEqual([])

        await page.getByLabel('Choose photos').setInputFiles([cat.path, dog.path])
        await results(page, 2)
        expect(await violations(page), 'results').toEqual([])

        await page.getByRole('button', { name: 'Show where it looked' }).first().click()
        await page.locator('.result__heatmap').first().waitFor({ state: 'visible' })
        expect(await violations(page), 'heatmap').toEqual([])

        await page.getByLabel('Choose photos').setInputFiles({
          name: 'notes.txt',
          mimeType: 'text/plain',
          buffer: Buffer.from('not a photo'),
        })
        const [error] = await results(page, 1)
        expect(error?.state).toBe('error')
        expect(await violations(page), 'error').toEqual([])

        await page.getByRole('button', { name: 'Live camera' }).click()
        await page.waitForFunction(
          () => document.getElementById('live')?.dataset.state === 'live',
          undefined,
          {
            timeout: 30_000,
          },
        )
        await page.locator('#live-rate').filter({ hasText: 'frames a second' }).waitFor()
        expect(await violations(page), 'live view').toEqual([])
      }, options)
    })
  }
})
