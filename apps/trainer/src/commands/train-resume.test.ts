import { mkdtempSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { interruptedWhisker } from '../../test/support.ts'
import { DEFAULTS } from '../paths.ts'

describe('whisker train interrupted with Ctrl-C', () => {
  it('saves its state, says how to resume, and --resume finishes the run from the cached work', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'whisker-runs-'))
    const common = ['--runs', runs, '--cache-dir', mkdtempSync(join(tmpdir(), 'whisker-cache-'))]
    const args = [
      '--data',
      DEFAULTS.data,
      '--limit-per-class',
      '60',
      '--epochs',
      '8',
      '--quantize',
      'float16',
    ]
    const out = join(mkdtempSync(join(tmpdir(), 'whisker-model-')), 'model')

    const first = await interruptedWhisker(
      ['train', ...args, ...common, '--out', out],
      /"stage":"embed train"/,
    )
    expect(first.code).toBe(130)
    expect(first.stderr).toMatch(/interrupted; resume it with `whisker train --resume`/)
    const [id] = readdirSync(runs)
    const record = JSON.parse(await readFile(join(runs, id!, 'run.json'), 'utf8'))
    expect(record.status).toBe('interrupted')

    const second = await interruptedWhisker(['train', '--resume', ...common])
    expect(second.code).toBe(0)
    expect(second.stderr).toMatch(new RegExp(`Resuming run ${id}`))
    // Photos embedded before the interruption come from the cache.
    // (120 photos and their mirrors.)
    const [, hits] = second.stderr.match(/embeddings: (\d+) of 240 from cache/) ?? []
    expect(Number(hits)).toBeGreaterThan(0)
    expect(second.stdout).toMatch(/expected on new photos/)
    const done = JSON.parse(await readFile(join(runs, id!, 'run.json'), 'utf8'))
    expect(done.status).toBe('done')
  })

  it('says there is nothing to resume when no run was interrupted', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'whisker-runs-'))
    const result = await interruptedWhisker(['train', '--resume', '--runs', runs])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/No interrupted run.*\[NOTHING_TO_RESUME\]/)
  })
})
