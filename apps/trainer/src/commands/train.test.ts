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
import { optionsFromFlags, type TrainFlags } from './train.ts'

const run = promisify(execFile)
const CLI = resolve(import.meta.dirname, '../cli.ts')
/** Every run directory of these tests goes to a temporary folder, never the repository's runs/. */
const RUNS = mkdtempSync(join(tmpdir(), 'whisker-runs-'))
const whisker = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { timeout: 240_000, env: { ...process.env, WHISKER_RUNS: RUNS } })

describe('whisker train', () => {
  let trainedOut = ''
  let cacheDir = ''

  it('trains on real photos, cross-validated, and writes a graph model, its card with the estimate, and the split', async () => {
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
    // Each photo and its mirror.
    expect(stderr).toMatch(/embeddings: 0 of 160 from cache/)

    expect(stdout).toMatch(/expected on new photos: \d+\.\d % \(95 % interval \d+\.\d–\d+\.\d %\)/)
    expect(stdout).toMatch(/5-fold cross-validation/)
    for (const file of ['model.json', 'weights.bin', 'card.json', 'split.json']) {
      expect(existsSync(join(out, file))).toBe(true)
    }
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.labels).toEqual(['cat', 'dog'])
    expect(card.input.shape).toEqual([224, 224, 3])
    const estimate = card.estimate!
    expect(estimate).toMatchObject({ method: 'cross-validation', folds: 5, count: 80 })
    // 24 training photos per class in each fold, on a frozen ImageNet backbone: far above chance.
    expect(estimate.accuracy).toBeGreaterThanOrEqual(0.8)
    expect(estimate.accuracyInterval[0]).toBeLessThan(estimate.accuracy)
    expect(estimate.accuracyInterval[1]).toBeGreaterThan(estimate.accuracy)
    expect(estimate.logLossInterval[0]).toBeLessThanOrEqual(estimate.logLoss)
    expect(card.metrics).toEqual({
      valAccuracy: estimate.accuracy,
      valLogLoss: estimate.logLoss,
      valCount: 80,
    })
    // auto quantization, judged on the answers: it must not have moved them beyond the budget.
    expect(card.quantization).toBe('auto')
    const fidelity = card.exportFidelity!
    expect(1 - fidelity.decisiveChanges! / fidelity.count).toBeGreaterThanOrEqual(0.9975)
    expect(Math.abs(fidelity.meanLogOddsShift)).toBeLessThanOrEqual(0.05)

    const split = JSON.parse(await readFile(join(out, 'split.json'), 'utf8')) as {
      train: string[]
      val: string[]
    }
    // Every photo trains the served model: the folds, not a held-out share, made the choices.
    expect(split.train).toHaveLength(80)
    expect(split.val).toEqual([])
  })

  it('reuses cached embeddings on a second run with other head settings', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--data', DEFAULTS.data, '--limit-per-class', '40', '--epochs', '5', '--hidden', '0']
    const { stderr } = await whisker('train', ...args, '--cache-dir', cacheDir, '--out', out)
    expect(stderr).toMatch(/embeddings: 160 of 160 from cache/)
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
    expect(stderr).toMatch(/embeddings: 158 of 160 from cache/)
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
    // 20 photos and their mirrors (cached by the first test) + 40 new views.
    expect(first.stderr).toMatch(/embeddings: 40 of 80 from cache/)
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.training.trainCount).toBe(20)
    const second = await whisker('train', ...args, ...common)
    expect(second.stderr).toMatch(/embeddings: 80 of 80 from cache/)
  })

  it('with --fine-tune, also trains the top layers, estimates the whole recipe on a fold it never touched, and exports the fine-tuned network', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--data', DEFAULTS.data, '--limit-per-class', '20', '--epochs', '3']
    const tune = ['--fine-tune', '11', '--fine-tune-epochs', '1', '--quantize', 'float16']
    const { stdout, stderr } = await whisker('train', ...args, ...tune, '--cache-dir', cacheDir, '--out', out)
    expect(stderr).toMatch(/fine-tuning: the top 11 layers \(from block_16_expand\)/)
    // The head alone is cross-validated; the printed estimate is the whole recipe's, fine-tuning included.
    expect(stderr).toMatch(/cross-validated estimate \(the head alone\)/)
    expect(stderr).toMatch(/"stage":"fine-tune \(estimate\)"/)
    expect(stdout).toMatch(
      /head and fine-tuning on 24 photos, epoch and temperature chosen on 8 more\) run without one of 5 folds, then answering its 8 photos/,
    )
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.architecture.head).toMatch(/top 11 layers fine-tuned/)
    expect(card.estimate).toMatchObject({ method: 'holdout', folds: 5, count: 8 })
    expect(card.training.trainCount).toBe(40)
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

  it('refuses a backbone missing from --models as BACKBONE_NOT_FOUND, naming where it looked: nothing downloads it', async () => {
    const models = await mkdtemp(join(tmpdir(), 'whisker-no-models-'))
    const args = ['--limit-per-class', '5', '--epochs', '1', '--models', models, '--no-cache']
    const failure = await whisker('train', ...args).catch((e: { stderr: string; code: number }) => e)
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { stderr: string }).stderr).toMatch(
      /Backbone mobilenet_v2_0\.35 not found\. Looked in: \S+mobilenet_v2_0\.35\. Whisker never downloads weights.*\[BACKBONE_NOT_FOUND\]/,
    )
    expect((failure as { stderr: string }).stderr).toContain(join(models, 'mobilenet_v2_0.35'))
    // Refused before the photos are listed: no dataset line, nothing read.
    expect(
      `${(failure as { stdout?: string }).stdout ?? ''}${(failure as { stderr: string }).stderr}`,
    ).not.toMatch(/dataset: \d+ photos/)
  })

  it('keeps a run directory with history, split, float32 graph, exported model and out-of-fold predictions', async () => {
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
    expect(record).toMatchObject({ status: 'done', dataset: { labels: ['cat', 'dog'], train: 80, val: 0 } })
    const float32 = parseModelCard(JSON.parse(await readFile(join(runDir, 'float32', 'card.json'), 'utf8')))
    expect(float32.quantization).toBe('none')
    const predictions = JSON.parse(await readFile(join(runDir, 'predictions.json'), 'utf8')) as unknown[]
    // Each photo's answer from the fold model that never saw it.
    expect(predictions).toHaveLength(80)
  })

  it('re-exports a finished run with another quantization, judged against its float32 answers', async () => {
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
    expect(stdout).toMatch(/against float32 on 80 training photos: same top class for \d+\.\d %/)
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    const trained = parseModelCard(JSON.parse(await readFile(join(trainedOut, 'card.json'), 'utf8')))
    expect(card.quantization).toBe('float16')
    expect(card.version).not.toBe(trained.version)
    // The estimate describes the recipe, cross-validated; the export's own change is measured anew.
    expect(card.estimate).toEqual(trained.estimate)
    expect(card.exportFidelity!.count).toBe(80)
  })

  it('with --val-split, seals that share before any choice and reports the served model’s figure on it', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const args = ['--data', DEFAULTS.data, '--limit-per-class', '20', '--epochs', '5', '--val-split', '0.2']
    const { stdout } = await whisker(
      'train',
      ...args,
      '--quantize',
      'float16',
      '--cache-dir',
      cacheDir,
      '--out',
      out,
    )
    expect(stdout).toMatch(/photos sealed before any choice/)
    const card = parseModelCard(JSON.parse(await readFile(join(out, 'card.json'), 'utf8')))
    expect(card.estimate).toMatchObject({ method: 'holdout', count: 8 })
    expect(card.training.trainCount).toBe(32)
    const split = JSON.parse(await readFile(join(out, 'split.json'), 'utf8')) as {
      train: string[]
      val: string[]
    }
    expect(split.val).toHaveLength(8)
    expect(split.val.filter((name) => split.train.includes(name))).toEqual([])
  })

  it('refuses more folds than a class has photos, saying what to do', async () => {
    const out = await mkdtemp(join(tmpdir(), 'whisker-train-'))
    const failure = await whisker(
      'train',
      '--limit-per-class',
      '3',
      '--out',
      out,
      '--cache-dir',
      cacheDir,
    ).catch((e: { stderr: string; code: number }) => e)
    expect(failure).toMatchObject({ code: 1 })
    expect((failure as { stderr: string }).stderr).toMatch(/cannot fill 5 folds.*\[TOO_FEW_PHOTOS\]/)
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
    [['--folds', '2'], /--folds.*at least 3/],
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

describe('presets', () => {
  const flags = (extra: Partial<TrainFlags>): TrainFlags =>
    ({
      data: 'photos',
      out: 'model',
      runs: 'runs',
      arch: 'transfer',
      preset: 'fast',
      models: 'models',
      backend: 'auto',
      batchSize: 32,
      folds: 5,
      seed: 42,
      quantize: 'auto',
      cacheDir: 'cache',
      cache: true,
      ...extra,
    }) as TrainFlags

  it('fast trains the logistic head alone on MobileNetV2 α0.35, answering each photo once', () => {
    const options = optionsFromFlags(flags({}), 'model')
    expect(options).toMatchObject({ backbone: 'mobilenet_v2_0.35', hidden: 0, flipTta: false })
    expect(options.fineTune).toBeUndefined()
  })

  it('seed-cnn takes its input size and epochs from the schedule: 64 px for 80 epochs, the tutorial’s 150 with sgd-decay', () => {
    const seed = (extra: Partial<TrainFlags>) => optionsFromFlags(flags({ arch: 'seed-cnn', ...extra }), 'm')
    expect(seed({})).toMatchObject({
      schedule: 'adam-cosine',
      imageSize: 64,
      epochs: 80,
      learningRate: 1e-3,
      augment: 'strong',
      flipTta: true,
    })
    expect(seed({ flipTta: false }).flipTta).toBe(false)
    expect(seed({ schedule: 'sgd-decay' })).toMatchObject({ imageSize: 150, epochs: 30, learningRate: 0.01 })
    expect(seed({ imageSize: 128, epochs: 3 })).toMatchObject({ imageSize: 128, epochs: 3 })
    expect(optionsFromFlags(flags({}), 'm').imageSize).toBeUndefined() // transfer: the backbone's
  })

  it('accurate fine-tunes MobileNetV2 1.0’s last block at a tenth of the head’s rate', () => {
    const options = optionsFromFlags(flags({ preset: 'accurate' }), 'model')
    expect(options).toMatchObject({ backbone: 'mobilenet_v2_1.0', flipTta: false })
    expect(options.fineTune).toEqual({ layers: 4, epochs: 2, learningRate: 1e-4 })
  })

  it('flags override the preset: --no-fine-tune, --fine-tune-epochs, and --backbone drops the preset’s layer count', () => {
    expect(optionsFromFlags(flags({ preset: 'accurate', fineTune: false }), 'm').fineTune).toBeUndefined()
    expect(optionsFromFlags(flags({ preset: 'accurate', fineTuneEpochs: 5 }), 'm').fineTune?.epochs).toBe(5)
    const other = optionsFromFlags(flags({ preset: 'accurate', backbone: 'mobilenet_v1_1.0_pw12' }), 'm')
    expect(other.fineTune).toBeUndefined()
    expect(optionsFromFlags(flags({ fineTune: 11 }), 'm').fineTune).toEqual({
      layers: 11,
      epochs: 4,
      learningRate: 1e-4,
    })
  })
})
