import { mkdtempSync } from 'node:fs'
import { copyFile, mkdir, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Reporter } from '../core/reporter.ts'
import { DEFAULTS } from '../paths.ts'
import type { TrainOptions } from './options.ts'
import { prepareData } from './prepare.ts'

const quiet: Reporter = { info: () => {}, stage: () => () => {} }

/** A folder-per-class dataset of real photos: `counts` photos of each label, from the shared set. */
async function folderDataset(counts: Record<string, number>): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'whisker-val-'))
  const names = (await readdir(DEFAULTS.data)).sort()
  for (const [label, count] of Object.entries(counts)) {
    await mkdir(join(root, label))
    for (const name of names.filter((n) => n.startsWith(`${label}.`)).slice(0, count)) {
      await copyFile(join(DEFAULTS.data, name), join(root, label, name))
    }
  }
  return root
}

const options = (over: Partial<TrainOptions>) =>
  ({ data: DEFAULTS.data, valSplit: 0.2, seed: 42, ...over }) as TrainOptions

describe('prepareData', () => {
  it('holds out a deterministic share of the training folder when no validation folder is given', async () => {
    const a = await prepareData(options({ limitPerClass: 50 }), quiet)
    const b = await prepareData(options({ limitPerClass: 50 }), quiet)
    expect(a.split.val.map((f) => f.name)).toEqual(b.split.val.map((f) => f.name))
    expect([a.split.train.length, a.split.val.length]).toEqual([80, 20])
  })

  it('with --val-data, trains on the whole training folder and validates on every photo of the other', async () => {
    const valData = await folderDataset({ cat: 3, dog: 2 })
    const prepared = await prepareData(options({ valData }), quiet)
    expect(prepared.split.train).toHaveLength(3000)
    expect(prepared.split.val.map((f) => f.label).sort()).toEqual(['cat', 'cat', 'cat', 'dog', 'dog'])
    expect(prepared.labels).toEqual(['cat', 'dog'])
  })

  it('refuses a validation folder with classes the model could never predict', async () => {
    const valData = await folderDataset({ cat: 1, dog: 1 })
    await mkdir(join(valData, 'fox'))
    await copyFile(join(DEFAULTS.data, 'cat.1.jpg'), join(valData, 'fox', 'fox.1.jpg'))
    await expect(prepareData(options({ valData }), quiet)).rejects.toThrow(
      /classes the training folder lacks \(fox\)/,
    )
  })
})
