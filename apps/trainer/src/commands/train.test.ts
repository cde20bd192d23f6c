import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
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
})
