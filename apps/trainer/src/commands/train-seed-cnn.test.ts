import { mkdtempSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ModelCard, parseModelCard } from '@whisker/model-core'
import { describe, expect, it } from 'vitest'
import { interruptedWhisker } from '../../test/support.ts'
import { DEFAULTS } from '../paths.ts'

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix))
const readCard = async (dir: string): Promise<ModelCard> =>
  parseModelCard(JSON.parse(await readFile(join(dir, 'card.json'), 'utf8')))

/** Small and quick: 48-pixel inputs, 30 photos per class, three epochs, float32 export. */
const SMALL = [
  ...['--arch', 'seed-cnn', '--data', DEFAULTS.data, '--image-size', '48', '--limit-per-class', '30'],
  ...['--epochs', '3', '--batch-size', '8', '--quantize', 'none', '--no-cache'],
]

describe('whisker train --arch seed-cnn', () => {
  it("trains the tutorial's network from pixels and exports it like any Whisker model", async () => {
    const out = join(temp('whisker-model-'), 'model')
    const result = await interruptedWhisker([
      'train',
      ...SMALL,
      '--runs',
      temp('whisker-runs-'),
      '--out',
      out,
    ])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/"message":"epoch 3: loss/)
    const card = await readCard(out)
    expect(card.architecture.kind).toBe('seed-cnn')
    expect(card.input.shape).toEqual([48, 48, 3])
    expect(card.input.resize).toMatchObject({ mode: 'stretch', size: 48 })
    expect(card.input.normalization).toEqual({ scale: 1 / 255, offset: 0 })
    expect(card.training.epochs).toBe(3)
    expect(card.metrics.valCount).toBe(12)
    // The default schedule ends at rate 0 and keeps the last epoch: the validation photos choose nothing
    // (no epoch, no temperature), so their figure is the model's estimate.
    expect(result.stderr).toMatch(/the last of 3 epochs kept/)
    expect(card.calibration?.temperature).toBe(1)
    expect(card.estimate).toMatchObject({ method: 'holdout', count: 12 })
    // Each photo is answered with its mirror (flip TTA, on by default): the mean of the two views' logits,
    // which the explanation scores too.
    expect(card.architecture.head).toMatch(/mirror/)
    expect(card.explain?.scoreNode).toMatch(/\/views_mean$/)
  })

  it("with --schedule sgd-decay, trains with the tutorial's optimiser and chooses on validation", async () => {
    const out = join(temp('whisker-model-'), 'model')
    const result = await interruptedWhisker([
      'train',
      ...SMALL,
      '--schedule',
      'sgd-decay',
      '--runs',
      temp('whisker-runs-'),
      '--out',
      out,
    ])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/seed CNN: best epoch \d of 3/)
    const card = await readCard(out)
    expect(card.calibration?.fittedOn).toBe('validation split')
    // Its epoch and temperature were chosen on the validation photos: their figure is no estimate.
    expect(card.estimate).toBeUndefined()
    expect(result.stdout).toMatch(/chosen on these photos/)
  })

  it('resumed after Ctrl-C mid-epoch, trains exactly as an uninterrupted run and ends with its model', async () => {
    const straightRuns = temp('whisker-runs-')
    const straight = join(temp('whisker-model-'), 'model')
    expect(
      (await interruptedWhisker(['train', ...SMALL, '--runs', straightRuns, '--out', straight])).code,
    ).toBe(0)

    const runs = temp('whisker-runs-')
    const resumed = join(temp('whisker-model-'), 'model')
    // Interrupt during the second epoch: the checkpoint is taken between two batches.
    const first = await interruptedWhisker(
      ['train', ...SMALL, '--runs', runs, '--out', resumed],
      /"stage":"train","done":8,/,
    )
    expect(first.code).toBe(130)
    const [id] = readdirSync(runs)
    const checkpoint = JSON.parse(await readFile(join(runs, id!, 'checkpoint.json'), 'utf8'))
    expect(checkpoint).toMatchObject({ epoch: 1 })
    expect(checkpoint.batch).toBeGreaterThan(0)

    const second = await interruptedWhisker(['train', '--resume', '--runs', runs])
    expect(second.code).toBe(0)
    // Every epoch's losses, not only the kept (best) weights: same batches, augmentation and dropout masks.
    const history = async (dir: string) => {
      const [run] = readdirSync(dir)
      const records = JSON.parse(await readFile(join(dir, run!, 'history.json'), 'utf8')) as {
        seconds: number
      }[]
      return records.map(({ seconds: _, ...rest }) => rest)
    }
    expect(await history(runs)).toEqual(await history(straightRuns))
    expect((await readCard(resumed)).version).toBe((await readCard(straight)).version)
  })

  it('refuses flags that only mean something for transfer learning', async () => {
    const result = await interruptedWhisker([
      'train',
      ...SMALL,
      '--backbone',
      'mobilenet_v2_0.35',
      '--hidden',
      '32',
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/--backbone, --hidden only apply to --arch transfer.*\[FLAG_CONFLICT\]/)
  })

  it('refuses --schedule for transfer learning, and a schedule it does not know', async () => {
    const transfer = await interruptedWhisker(['train', '--schedule', 'sgd-decay', '--limit-per-class', '5'])
    expect(transfer.code).toBe(1)
    expect(transfer.stderr).toMatch(/--schedule only applies to --arch seed-cnn.*\[FLAG_CONFLICT\]/)
    const unknown = await interruptedWhisker(['train', ...SMALL, '--schedule', 'rmsprop'])
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/--schedule.*rmsprop.*adam-cosine, sgd-decay/s)
  })
})
