import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseModelCard } from '@whisker/model-core'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import {
  copyPhotos,
  readSplit,
  STACK_FRAME,
  unseenPhotos,
  whisker,
  writeTruncatedJpeg,
} from '../../test/support.ts'
import { evaluatePredictions } from '../core/metrics.ts'
import type { EvaluationReport } from '../eval/evaluate.ts'

const model = inject('trainedModel')

describe('whisker evaluate', () => {
  let unseen = ''
  let validation = ''

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'whisker-evaluate-'))
    // Ten photos of each class the model never saw, one truncated JPEG and one stray file.
    unseen = join(root, 'unseen')
    const names = [...(await unseenPhotos(model, 'cat', 10)), ...(await unseenPhotos(model, 'dog', 10))]
    await copyPhotos(unseen, Object.fromEntries(names.map((n) => [n, n])))
    await writeTruncatedJpeg(join(unseen, 'cat.truncated.jpg'))
    await writeFile(join(unseen, 'notes.txt'), 'not a photo')
    // The model's own validation photos, in folder-per-class layout.
    validation = join(root, 'validation')
    for (const name of (await readSplit(model)).val) {
      const label = name.split('.')[0]!
      await copyPhotos(join(validation, label), { [name]: name })
    }
  })

  it('reproduces the metrics on the card from the validation photos, whatever the batch size', async () => {
    const card = parseModelCard(JSON.parse(await readFile(join(model, 'card.json'), 'utf8')))
    const { code, stdout } = await whisker(
      'evaluate',
      '--model',
      model,
      '--data',
      validation,
      '--json',
      '--batch-size',
      '5',
    )
    expect(code).toBe(0)
    const report = JSON.parse(stdout) as EvaluationReport
    // The card's numbers were measured through the same predictor on the same preprocessed pixels.
    expect(report.count).toBe(card.metrics.valCount)
    expect(report.accuracy).toBe(card.metrics.valAccuracy)
    expect(report.logLoss).toBeCloseTo(card.metrics.valLogLoss, 5)
    expect(report.backend).toBe('wasm')
  })

  it('prints one JSON object with every metric, the unreadable photos and the skipped files', async () => {
    const { code, stdout, stderr } = await whisker('evaluate', '--model', model, '--data', unseen, '--json')
    expect(code, stderr).toBe(0)
    const report = JSON.parse(stdout) as EvaluationReport
    expect(report.model).toMatchObject({ dir: model, labels: ['cat', 'dog'], quantization: 'float16' })
    expect(report.data).toMatchObject({
      root: unseen,
      photos: 21,
      classCounts: { cat: 11, dog: 10 },
      skipped: [{ name: 'notes.txt', reason: 'not an image file' }],
      unreadable: [{ name: 'cat.truncated.jpg', reason: expect.stringMatching(/^CORRUPT_IMAGE: /) }],
    })
    expect(report.count).toBe(20)
    expect(report.predictions.map((p) => p.name)).not.toContain('cat.truncated.jpg')
    expect(report.confusion.map((row) => row[0]! + row[1]!)).toEqual([10, 10])
    expect(report.accuracy).toBe((report.confusion[0]![0]! + report.confusion[1]![1]!) / 20)
    // 32 photos per class on a frozen ImageNet backbone: well above chance on photos it never saw.
    expect(report.accuracy).toBeGreaterThanOrEqual(0.75)
    expect(report.rocAuc).toBeGreaterThanOrEqual(0.8)
    expect(report.positive).toBe('dog')
    expect(report.perClass.map((c) => [c.label, c.support])).toEqual([
      ['cat', 10],
      ['dog', 10],
    ])
    expect(report.roc[0]!.points[0]).toEqual({ threshold: null, fpr: 0, tpr: 0 })
    // The metrics are those of the per-photo probabilities it lists.
    const labels = report.model.labels
    const again = evaluatePredictions(
      report.predictions.map((p) => p.probabilities),
      report.predictions.map((p) => labels.indexOf(p.label)),
      labels,
    )
    expect(again.accuracy).toBe(report.accuracy)
    expect(again.logLoss).toBeCloseTo(report.logLoss, 10)
    expect(again.rocAuc).toBe(report.rocAuc)
  })

  it('prints a readable summary with the same numbers', async () => {
    const [text, json] = await Promise.all([
      whisker('evaluate', '--model', model, '--data', unseen),
      whisker('evaluate', '--model', model, '--data', unseen, '--json'),
    ])
    expect(text.code, text.stderr).toBe(0)
    const report = JSON.parse(json.stdout) as EvaluationReport
    const correct = report.confusion[0]![0]! + report.confusion[1]![1]!
    const out = text.stdout
    expect(out).toContain(`accuracy    ${(report.accuracy * 100).toFixed(2)} % (${correct} of 20)`)
    expect(out).toContain(`log loss    ${report.logLoss.toFixed(4)}`)
    expect(out).toContain(`ROC AUC     ${report.rocAuc!.toFixed(4)} (positive class: dog)`)
    const cat = report.perClass[0]!
    expect(out).toMatch(
      new RegExp(
        `^cat\\s+${cat.precision.toFixed(4)}\\s+${cat.recall.toFixed(4)}\\s+${cat.f1.toFixed(4)}\\s+10$`,
        'm',
      ),
    )
    expect(out).toMatch(
      /^confusion matrix \(rows: true class, columns: predicted class\)\n\s+cat\s+dog\ncat\s+\d+\s+\d+\ndog\s+\d+\s+\d+$/m,
    )
    expect(out).toMatch(/unreadable {2}1 photo, not evaluated:\n\s+cat\.truncated\.jpg \(CORRUPT_IMAGE: /)
    expect(out).toMatch(
      /skipped {5}1 entry that is not a labelled photo:\n\s+notes\.txt \(not an image file\)/,
    )
  })

  it('scores another class as positive when told', async () => {
    const { stdout } = await whisker(
      'evaluate',
      '--model',
      model,
      '--data',
      unseen,
      '--json',
      '--positive',
      'cat',
    )
    const report = JSON.parse(stdout) as EvaluationReport
    expect(report.positive).toBe('cat')
    expect(report.roc[0]!.label).toBe('cat')
  })

  describe('refuses, with a message and no stack trace', () => {
    let dirs: Record<string, string> = {}

    beforeAll(async () => {
      const root = await mkdtemp(join(tmpdir(), 'whisker-evaluate-bad-'))
      dirs = {
        empty: join(root, 'empty'),
        badCard: join(root, 'bad-card'),
        birds: join(root, 'birds'),
      }
      await mkdir(dirs.empty!)
      await mkdir(dirs.badCard!)
      for (const file of ['model.json', 'weights.bin']) {
        await writeFile(join(dirs.badCard!, file), await readFile(join(model, file)))
      }
      await writeFile(join(dirs.badCard!, 'card.json'), JSON.stringify({ schemaVersion: 1, labels: ['cat'] }))
      await copyPhotos(dirs.birds!, { 'bird.1.jpg': 'cat.0.jpg', 'cat.1.jpg': 'cat.1.jpg' })
    })

    it.each([
      [
        'a missing model folder',
        () => ['--model', '/nonexistent/model', '--data', unseen],
        /No model folder at \/nonexistent\/model .*\[MODEL_NOT_FOUND\]/,
      ],
      [
        'a folder that is not a model',
        () => ['--model', dirs.empty!, '--data', unseen],
        /is not a model folder: model\.json is missing \[MODEL_INVALID\]/,
      ],
      [
        'an invalid model card',
        () => ['--model', dirs.badCard!, '--data', unseen],
        /unusable model: The model card is invalid[\s\S]*\[MODEL_INVALID\]/,
      ],
      [
        'a missing data folder',
        () => ['--model', model, '--data', '/nonexistent/photos'],
        /Cannot read dataset folder \/nonexistent\/photos.*\[DATASET_INVALID\]/,
      ],
      [
        'classes the model does not know',
        () => ['--model', model, '--data', dirs.birds!],
        /labelled bird, cat, but the model's labels are cat, dog: "bird" is not among them \[LABEL_MISMATCH\]/,
      ],
      [
        'an unknown --positive label',
        () => ['--model', model, '--data', unseen, '--positive', 'bird'],
        /--positive bird is not one of the model's labels \(cat, dog\) \[INVALID_OPTION\]/,
      ],
      [
        'a bad --batch-size',
        () => ['--model', model, '--data', unseen, '--batch-size', '0'],
        /--batch-size.*positive integer/,
      ],
      ['no --data', () => ['--model', model], /required option '--data <dir>' not specified/],
    ])('%s', async (_, args, message) => {
      const { code, stdout, stderr } = await whisker('evaluate', ...args())
      expect(code).toBe(1)
      expect(stdout).toBe('')
      expect(stderr).toMatch(message)
      expect(stderr).not.toMatch(STACK_FRAME)
    })
  })
})
