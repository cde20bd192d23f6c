import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { CHROMIUM_ARGS, findChromium } from '@whisker/fixtures'
import { type ModelCard, parseModelCard } from '@whisker/model-core'
import sharp from 'sharp'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { DEFAULTS, displayPath, REPO_ROOT } from '../paths.ts'
import type { EpochRecord, RunRecord, ValidationPrediction } from '../run/records.ts'
import { mostConfidentMistakes, RunDirError, renderReport, THUMBNAIL_SIZE, writeReport } from './html.ts'

const RESULTS = resolve(import.meta.dirname, '..', '..', 'test-results')

const photo = (name: string): string => join(DEFAULTS.data, name)
const prediction = (name: string, truth: number, dog: number, path = photo(name)): ValidationPrediction => ({
  name,
  path,
  truth,
  probabilities: [1 - dog, dog],
})

/**
 * Ten validation photos with chosen probabilities. Cats score P(dog) 0.9, 0.8, 0.1, 0.2, 0.3; dogs 0.3,
 * 0.4, 0.95, 0.85, 0.6. Mistakes: two cats called dogs (0.9, 0.8), two dogs called cats (P(cat) 0.7 and
 * 0.6), one of them a photo that no longer exists. ROC AUC: of the 25 (dog, cat) pairs, the dogs rank
 * above 2.5 (0.3 ties one cat at 0.3) + 3 + 5 + 4 + 3 = 17.5 cats: 0.7.
 */
const PREDICTIONS: ValidationPrediction[] = [
  prediction('cat.0.jpg', 0, 0.9),
  prediction('cat.1.jpg', 0, 0.8),
  prediction('cat.3.jpg', 0, 0.1),
  prediction('cat.4.jpg', 0, 0.2),
  prediction('cat.5.jpg', 0, 0.3),
  prediction('dog.0.jpg', 1, 0.3),
  prediction('dog.gone.jpg', 1, 0.4, '/nonexistent/dog.gone.jpg'),
  prediction('dog.1.jpg', 1, 0.95),
  prediction('dog.3.jpg', 1, 0.85),
  prediction('dog.4.jpg', 1, 0.6),
]

const HISTORY: EpochRecord[] = Array.from({ length: 8 }, (_, i) => ({
  epoch: i + 1,
  loss: 0.7 / (i + 1),
  acc: 0.6 + i * 0.04,
  // Lowest validation loss at epoch 6, then overfitting.
  val_loss: 0.6 - 0.05 * Math.min(i, 5) + 0.03 * Math.max(0, i - 5),
  val_acc: 0.55 + i * 0.03,
  lr: 1e-3,
  seconds: 0.05,
}))

const RUN: RunRecord = {
  id: '2026-01-02T03-04-05-006',
  status: 'done',
  startedAt: '2026-01-02T03:04:05.006Z',
  finishedAt: '2026-01-02T03:04:15.006Z',
  wallSeconds: 10,
  options: { epochs: 8, limitPerClass: 40, quantization: 'float16' },
  backend: { name: 'wasm', skipped: [{ choice: 'tensorflow', reason: 'package not installed' }] },
  dataset: {
    root: DEFAULTS.data,
    labels: ['cat', 'dog'],
    classCounts: { cat: 1500, dog: 1500 },
    train: 64,
    val: 10,
    skipped: [
      { name: '<script>alert(1)</script>.txt', reason: 'not an image file' },
      { name: 'cat.999.jpg', reason: 'CORRUPT_IMAGE: truncated JPEG' },
    ],
  },
  modelDir: '/tmp/model',
}

describe('renderReport and writeReport', () => {
  let card: ModelCard
  let runDir = ''
  let html = ''

  beforeAll(async () => {
    for (const p of PREDICTIONS.filter((p) => p.name !== 'dog.gone.jpg'))
      expect(existsSync(p.path), p.path).toBe(true)
    card = parseModelCard(JSON.parse(await readFile(join(inject('trainedModel'), 'card.json'), 'utf8')))
    runDir = await mkdtemp(join(tmpdir(), 'whisker-report-'))
    await mkdir(join(runDir, 'model'))
    await writeFile(join(runDir, 'model', 'card.json'), JSON.stringify(card))
    for (const file of ['model.json', 'weights.bin'])
      await copyFile(join(inject('trainedModel'), file), join(runDir, 'model', file))
    await writeFile(join(runDir, 'run.json'), JSON.stringify(RUN))
    await writeFile(join(runDir, 'history.json'), JSON.stringify(HISTORY))
    await writeFile(join(runDir, 'predictions.json'), JSON.stringify(PREDICTIONS))
    const path = await writeReport(runDir)
    expect(path).toBe(join(runDir, 'report.html'))
    html = await readFile(path, 'utf8')
  })

  it('is one self-contained page: no URL, no script, no external resource', () => {
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/)
    expect(html.trimEnd()).toMatch(/<\/html>$/)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script|<link|<iframe|src="(?!data:)/i)
  })

  it('summarises the model card', () => {
    const model = section(html, 'model')
    for (const text of [
      'cat, dog',
      card.version,
      card.quantization,
      `temperature ${card.calibration!.temperature.toFixed(3)}`,
      `on ${card.estimate!.count} photos`,
      card.estimate!.how,
      'Grad-CAM from Conv_1 (7 × 7) to head_output/logits',
    ]) {
      expect(model).toContain(text)
    }
  })

  it('summarises the dataset, listing skipped files with their reasons, escaped', () => {
    const dataset = section(html, 'dataset')
    expect(dataset).toContain(
      `<td>cat</td><td class="num">1500</td><td class="num">${card.training.classCounts.cat}</td>`,
    )
    expect(dataset).toContain('2 skipped files')
    expect(dataset).toContain('<td>&lt;script&gt;alert(1)&lt;/script&gt;.txt</td><td>not an image file</td>')
    expect(dataset).toContain('<td>cat.999.jpg</td><td>CORRUPT_IMAGE: truncated JPEG</td>')
  })

  it('names the dataset folder relative to the repository, so a shared report names no machine path', () => {
    expect(section(html, 'dataset')).toContain(`<code>${displayPath(DEFAULTS.data)}</code>`)
    expect(html).not.toContain(REPO_ROOT)
  })

  it('draws the loss and accuracy curves as inline SVG, marking the best epoch', () => {
    const training = section(html, 'training')
    expect(charts(training)).toHaveLength(2)
    expect(training).toContain('lowest validation loss (6)')
    expect(training).toContain('Loss (cross-entropy) per epoch')
    expect(training).toContain('Accuracy per epoch')
  })

  it('scores the validation predictions: per-class table, confusion heatmap, ROC curve with its AUC', () => {
    const validation = section(html, 'validation')
    expect(validation).toContain('accuracy 60.0 %')
    expect(validation).toContain('ROC AUC 0.7000')
    // cat: 3 of 5 predicted cats are cats, 3 of 5 cats found.
    expect(validation).toMatch(/<td>cat<\/td><td class="num">0\.6000<\/td><td class="num">0\.6000<\/td>/)
    const [confusion, roc] = charts(validation)
    expect(confusion).toContain('Confusion matrix')
    // Four cells (rect marks), each labelled with its count: 3 and 2 in each row.
    expect(confusion!.match(/>[23]<\/text>/g)?.sort()).toEqual([
      '>2</text>',
      '>2</text>',
      '>3</text>',
      '>3</text>',
    ])
    expect(roc).toContain('ROC curve: AUC 0.7000 (positive class: dog)')
  })

  it('shows the most confident mistakes first, as 96 px JPEG thumbnails with true and predicted class', async () => {
    const mistakes = section(html, 'mistakes')
    const figures = mistakes.split('<figure class="mistake">').slice(1)
    expect(figures.map((f) => f.match(/class="muted name"[^>]*>([^<]+)</)?.[1])).toEqual([
      'cat.0.jpg',
      'cat.1.jpg',
      'dog.0.jpg',
      'dog.gone.jpg',
    ])
    expect(figures[0]).toMatch(/<b>dog<\/b> 90\.0 %<br>true: cat/)
    expect(figures[2]).toMatch(/<b>cat<\/b> 70\.0 %<br>true: dog/)
    expect(figures[3]).toContain('photo not found')
    const urls = [...mistakes.matchAll(/class="photo" src="data:image\/jpeg;base64,([^"]+)"/g)].map(
      (m) => m[1]!,
    )
    expect(urls).toHaveLength(3)
    for (const base64 of urls) {
      const meta = await sharp(Buffer.from(base64, 'base64')).metadata()
      expect(meta).toMatchObject({ format: 'jpeg', width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE })
    }
  })

  it('puts beside each mistake where the model looked for the class it wrongly chose', async () => {
    const mistakes = section(html, 'mistakes')
    expect(card.explain?.method).toBe('grad-cam') // the trainer records it: a hidden layer, so Grad-CAM
    expect(mistakes).toContain(
      'where the model looked when it chose the wrong class (Grad-CAM on the exported model',
    )
    const figures = mistakes.split('<figure class="mistake">').slice(1)
    const alt = (figure: string) => figure.match(/class="heatmap"[^>]* alt="([^"]+)"/)?.[1]
    expect(figures.map(alt)).toEqual([
      'where it looked for dog',
      'where it looked for dog',
      'where it looked for cat',
      undefined,
    ])
    const heatmaps = [...mistakes.matchAll(/class="heatmap" src="data:image\/jpeg;base64,([^"]+)"/g)].map(
      (m) => m[1]!,
    )
    expect(heatmaps).toHaveLength(3)
    for (const base64 of heatmaps) {
      const meta = await sharp(Buffer.from(base64, 'base64')).metadata()
      expect(meta).toMatchObject({ format: 'jpeg', width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE })
    }
  })

  it('shows the photos alone when the run has no usable model to explain with', async () => {
    const page = await renderReport({ run: RUN, history: HISTORY, predictions: PREDICTIONS, card })
    const mistakes = section(page, 'mistakes')
    expect(mistakes).toContain('class="photo"')
    expect(mistakes).not.toContain('class="heatmap"')
    expect(mistakes).not.toContain('where the model looked')
  })

  it('loads in Chromium without errors or requests, every chart and thumbnail drawn', async () => {
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({
      executablePath: findChromium(),
      args: CHROMIUM_ARGS,
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
      const problems: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text())
      })
      page.on('pageerror', (e) => problems.push(e.message))
      page.on('request', (r) => {
        if (!/^(file|data):/.test(r.url())) problems.push(`request ${r.url()}`)
      })
      await page.goto(`file://${join(runDir, 'report.html')}`)
      // Runs in the page (a string: this project's TypeScript has no DOM types).
      const drawn = (await page.evaluate(`({
        svgs: [...document.querySelectorAll('svg')].map((s) => s.getBoundingClientRect().width > 100),
        images: [...document.images].map((i) => i.complete && i.naturalWidth),
      })`)) as { svgs: boolean[]; images: number[] }
      expect(problems).toEqual([])
      expect(drawn.svgs).toEqual([true, true, true, true])
      expect(drawn.images).toEqual(Array(6).fill(THUMBNAIL_SIZE)) // three photos, three heatmaps
      await mkdir(RESULTS, { recursive: true })
      await page.screenshot({ path: join(RESULTS, 'report.png'), fullPage: true })
    } finally {
      await browser.close()
    }
  })

  it('still renders a run with no epochs and no predictions', async () => {
    const page = await renderReport({ run: { ...RUN, status: 'failed' }, history: [], predictions: [], card })
    expect(page).toContain('No epochs were recorded.')
    expect(page).toContain('No validation predictions were recorded.')
    expect(page).not.toContain('<svg')
  })

  it('reports every validation photo right when there is no mistake', async () => {
    const right = PREDICTIONS.map((p) => ({ ...p, probabilities: p.truth ? [0.2, 0.8] : [0.8, 0.2] }))
    const page = await renderReport({ run: RUN, history: HISTORY, predictions: right, card })
    expect(section(page, 'mistakes')).toContain('None: all 10 validation photos were classified correctly.')
  })

  it('makes a report from the run directory that whisker train wrote', async () => {
    const page = await readFile(await writeReport(inject('trainedRun')), 'utf8')
    expect(page).toContain(card.version)
    expect(charts(page)).toHaveLength(4)
    expect(page).not.toMatch(/https?:\/\//)
  })

  it('refuses a run directory without run.json, naming the file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'whisker-report-empty-'))
    const failure = writeReport(empty)
    await expect(failure).rejects.toBeInstanceOf(RunDirError)
    await expect(failure).rejects.toThrow(/Cannot read .*run\.json: ENOENT/)
  })
})

describe('mostConfidentMistakes', () => {
  it('keeps only the wrong predictions, surest first, up to the limit', () => {
    expect(
      mostConfidentMistakes(PREDICTIONS, 3).map((m) => [m.prediction.name, m.predicted, m.confidence]),
    ).toEqual([
      ['cat.0.jpg', 1, 0.9],
      ['cat.1.jpg', 1, 0.8],
      ['dog.0.jpg', 0, 0.7],
    ])
  })
})

/** The HTML of `<section id="…">`. */
function section(page: string, id: string): string {
  const start = page.indexOf(`<section id="${id}">`)
  expect(start, `section #${id}`).toBeGreaterThanOrEqual(0)
  return page.slice(start, page.indexOf('</section>', start))
}

function charts(page: string): string[] {
  return page.match(/<svg[\s\S]*?<\/svg>/g) ?? []
}
