import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { parseModelCard } from '@whisker/model-core'
import { describe, expect, it } from 'vitest'
import { DEFAULTS } from '../paths.ts'

const run = promisify(execFile)
const CLI = resolve(import.meta.dirname, '../cli.ts')
/** Every run directory of these tests goes to a temporary folder, never the repository's runs/. */
const RUNS = mkdtempSync(join(tmpdir(), 'whisker-runs-'))
const whisker = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { timeout: 240_000, env: { ...process.env, WHISKER_RUNS: RUNS } })

describe('whisker train', () => {
  let trainedOut = ''
  let cacheDir = ''

  it('trains on real photos and writes a graph model, its card and the split', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'whisker-train-')), 'model')
    trainedOut = out
    cacheDir = await mkdtemp(join(tmpdir(), 'whisker-cache-'))
    const args = [
      '--data',
      DEFAULTS.data,
      '--limit-per-class',
      '40',
      '--epochs',
      '15',
      '--cache-dir',
      cacheDir,
    ]
    const { stdout, stderr } = await whisker('train', ...args, '--out', out)
    expect(stderr).toMatch(/embeddings: 0 of 80 from cache/)

    expect(stdout).toMatch(/validation accuracy: \d+\.\d\d %/)
    for (const file of ['model.json', 'weights.bin', 'card.json', 'split.json']) {
      expect(existsSync(join(out, file))).toBe(true)
    }
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.labels).toEqual(['cat', 'dog'])
    expect(card.input.shape).toEqual([224, 224, 3])
    expect(card.metrics.valCount).toBe(16)
    // 32 training photos per class on a frozen ImageNet backbone: far above chance, or something is broken.
    expect(card.metrics.valAccuracy).toBeGreaterThanOrEqual(0.8)

    const split = JSON.parse(await readFile(join(out, 'split.json'), 'utf8')) as {
      train: string[]
      val: string[]
    }
    expect(split.train).toHaveLength(64)
    expect(split.val.filter((name) => split.train.includes(name))).toEqual([])
  })

  it('reuses cached embeddings on a second run with other head settings', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--data', DEFAULTS.data, '--limit-per-class', '40', '--epochs', '5', '--hidden', '0']
    const { stderr } = await whisker('train', ...args, '--cache-dir', cacheDir, '--out', out)
    expect(stderr).toMatch(/embeddings: 80 of 80 from cache/)
    // The first run's auto-quantization choice is remembered beside the embeddings and tried first.
    expect(readdirSync(join(cacheDir, 'quantization-choices'))).toEqual([
      'transfer-mobilenet_v2_0.35-center-crop-224-bilinear-g1.json',
    ])
  })

  it('recomputes and reports cache entries overwritten with random bytes of the right length', async () => {
    const [folder] = readdirSync(cacheDir).filter((name) => name.startsWith('mobilenet'))
    const entries = readdirSync(join(cacheDir, folder!), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .slice(0, 2)
      .map((entry) => join(entry.parentPath, entry.name))
    for (const path of entries) writeFileSync(path, randomBytes(statSync(path).size))
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--limit-per-class', '40', '--epochs', '1', '--quantize', 'float16', '--out', out]
    const { stderr } = await whisker('train', ...args, '--cache-dir', cacheDir)
    expect(stderr).toMatch(/embeddings: 78 of 80 from cache/)
    expect(stderr).toMatch(
      /embedding cache: 2 entries were corrupt or stale and were recomputed \(2 not an entry\)/,
    )
  })

  it('with --augment, also embeds two augmented views of each training photo, cached like the photos', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--data', DEFAULTS.data, '--limit-per-class', '10', '--epochs', '3', '--augment', 'seed']
    const common = ['--quantize', 'float16', '--cache-dir', cacheDir, '--out', out]
    const first = await whisker('train', ...args, ...common)
    expect(first.stderr).toMatch(/"stage":"embed view 2"/)
    // 16 training photos (cached by the first test) + 32 new views, and 4 validation photos.
    expect(first.stderr).toMatch(/embeddings: 20 of 52 from cache/)
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.training.trainCount).toBe(16)
    const second = await whisker('train', ...args, ...common)
    expect(second.stderr).toMatch(/embeddings: 52 of 52 from cache/)
  })

  it('with --fine-tune, also trains the backbone’s top layers and exports the fine-tuned network', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--data', DEFAULTS.data, '--limit-per-class', '20', '--epochs', '3']
    const tune = ['--fine-tune', '11', '--fine-tune-epochs', '1', '--quantize', 'float16']
    const { stderr } = await whisker('train', ...args, ...tune, '--cache-dir', cacheDir, '--out', out)
    expect(stderr).toMatch(/fine-tuning: the top 11 layers \(from block_16_expand\)/)
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.architecture.head).toMatch(/top 11 layers fine-tuned/)
  })

  it('names the nearest valid depths when --fine-tune would cut through a skip connection', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--limit-per-class', '5', '--epochs', '1', '--fine-tune', '12', '--out', out]
    const failure = await whisker('train', ...args, '--cache-dir', cacheDir).catch(
      (e: { stderr: string; code: number }) => e,
    )
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { stderr: string }).stderr).toMatch(/11.*20.*\[INVALID_FINE_TUNE_DEPTH\]/)
  })

  it('keeps a run directory with history, split, float32 graph, exported model and validation predictions', async () => {
    const [id] = readdirSync(RUNS).sort()
    const runDir = join(RUNS, id!)
    for (const file of [
      'run.json',
      'history.json',
      'history.csv',
      'split.json',
      'predictions.json',
      'report.html',
    ]) {
      expect(existsSync(join(runDir, file))).toBe(true)
    }
    const record = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'))
    expect(record).toMatchObject({ status: 'done', dataset: { labels: ['cat', 'dog'], train: 64, val: 16 } })
    const float32 = parseModelCard(JSON.parse(await readFile(join(runDir, 'float32', 'card.json'), 'utf8')))
    expect(float32.quantization).toBe('none')
    const predictions = JSON.parse(await readFile(join(runDir, 'predictions.json'), 'utf8')) as unknown[]
    expect(predictions).toHaveLength(16)
  })

  it('re-exports a finished run with another quantization, measured again on its validation split', async () => {
    const [id] = readdirSync(RUNS).sort()
    const out = await mkdtemp(join(tmpdir(), 'whisker-export-'))
    const { stdout } = await whisker(
      'export',
      '--run',
      join(RUNS, id!),
      '--quantize',
      'float16',
      '--out',
      out,
    )
    expect(stdout).toMatch(/validation accuracy: \d+\.\d\d % \(float32 \d+\.\d\d %\)/)
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    const trained = parseModelCard(JSON.parse(await readFile(join(trainedOut, 'card.json'), 'utf8')))
    expect(card.quantization).toBe('float16')
    expect(card.version).not.toBe(trained.version)
    expect(card.metrics.valCount).toBe(16)
  })

  it('leaves an existing model alone with --if-missing', async () => {
    const { stdout } = await whisker('train', '--if-missing', '--out', trainedOut)
    expect(stdout).toMatch(/already exists/)
  })

  it.each([
    [['--epochs', '0'], /--epochs.*positive integer/],
    [['--val-split', '1.5'], /--val-split.*between 0 and 1/],
    [['--backend', 'tpu'], /--backend.*Allowed choices/],
    [['--quantize', 'int4'], /--quantize.*Allowed choices/],
  ])('rejects bad flags %j with a clear message', async (flags, message) => {
    await expect(whisker('train', ...flags)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(message),
    })
  })

  it('explains a missing data folder without a stack trace', async () => {
    const failure = await whisker('train', '--data', '/nonexistent/photos').catch(
      (e: { stderr: string; code: number }) => e,
    )
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { stderr: string }).stderr).toMatch(/Cannot read dataset folder.*\[DATASET_INVALID\]/)
    expect((failure as { stderr: string }).stderr).not.toMatch(/at .*\.ts:\d+/)
  })

  it('refuses --val-split together with --val-data', async () => {
    const failure = await whisker('train', '--val-data', DEFAULTS.data, '--val-split', '0.3').catch(
      (e: { stderr: string; code: number }) => e,
    )
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { stderr: string }).stderr).toMatch(/exclude each other.*\[FLAG_CONFLICT\]/)
  })

  it('refuses an --image-size that its backbone cannot take, naming the size it needs', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const failure = await whisker(
      'train',
      '--image-size',
      '160',
      '--limit-per-class',
      '5',
      '--out',
      out,
    ).catch((e: { stderr: string; code: number }) => e)
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { stderr: string }).stderr).toMatch(
      /takes 224×224 inputs; --image-size 160 does not fit it.*\[IMAGE_SIZE_MISMATCH\]/,
    )
  })
})
