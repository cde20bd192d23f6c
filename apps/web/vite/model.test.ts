import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MODEL_FILES, modelRevision } from './model.ts'

const dirs: string[] = []
function modelFolder(contents: Partial<Record<(typeof MODEL_FILES)[number], string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'whisker-web-model-'))
  dirs.push(dir)
  for (const [file, text] of Object.entries(contents)) writeFileSync(join(dir, file), text)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('modelRevision', () => {
  const model = { 'card.json': '{"version":"a"}', 'model.json': '{}', 'weights.bin': 'weights' }

  it('is 16 hex digits, the same for the same files', async () => {
    const revision = await modelRevision(modelFolder(model))
    expect(revision).toMatch(/^[0-9a-f]{16}$/)
    expect(await modelRevision(modelFolder(model))).toBe(revision)
  })

  it('changes when any one file changes, so a new model is fetched at a new URL', async () => {
    const revision = await modelRevision(modelFolder(model))
    for (const file of MODEL_FILES) {
      expect(await modelRevision(modelFolder({ ...model, [file]: `${model[file]} ` }))).not.toBe(revision)
    }
  })

  it('is undefined without all three files', async () => {
    expect(await modelRevision(modelFolder({ 'card.json': '{}', 'model.json': '{}' }))).toBeUndefined()
  })
})
