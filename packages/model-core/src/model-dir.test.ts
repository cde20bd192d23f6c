import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MODEL_FILES, type ModelArtifacts } from './artifacts.ts'
import { InvalidModelCardError } from './card.ts'
import { constNode, placeholderNode } from './export/graph-def.ts'
import { serializeGraph } from './export/serialize.ts'
import { readModelDir, writeModelDir } from './model-dir.ts'
import { validCard } from './test-support/card.ts'

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'whisker-model-dir-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

function artifacts(bias: number): ModelArtifacts {
  const graph = serializeGraph(
    [placeholderNode('x', [-1, 2]), constNode('b', [2], 'float32')],
    [{ name: 'b', shape: [2], dtype: 'float32', data: new Float32Array([bias, -bias]) }],
    'none',
  )
  return { ...graph, card: validCard() }
}

describe('writeModelDir and readModelDir', () => {
  it('write model.json, weights.bin and card.json, and read back the same artifacts', async () => {
    const dir = join(scratch, 'round-trip')
    const written = artifacts(1.5)
    await writeModelDir(dir, written)
    expect(readdirSync(dir).sort()).toEqual(Object.values(MODEL_FILES).sort())
    const read = await readModelDir(dir)
    expect(read.modelJson).toEqual(written.modelJson)
    expect(new Uint8Array(read.weights)).toEqual(new Uint8Array(written.weights))
    expect(read.card).toEqual(written.card)
  })

  it('replace an existing model wholesale and leave no staging folder behind', async () => {
    const dir = join(scratch, 'replace')
    await writeModelDir(dir, artifacts(1))
    await writeFile(join(dir, 'stale.txt'), 'from an older model')
    await writeModelDir(dir, artifacts(2))
    expect(readdirSync(dir)).not.toContain('stale.txt')
    expect(new Float32Array((await readModelDir(dir)).weights)).toEqual(new Float32Array([2, -2]))
    expect(readdirSync(scratch).filter((name) => name.includes('.tmp-'))).toEqual([])
  })

  it('refuse to read a folder whose card is invalid', async () => {
    const dir = join(scratch, 'bad-card')
    await writeModelDir(dir, artifacts(1))
    await writeFile(join(dir, MODEL_FILES.card), JSON.stringify({ ...validCard(), labels: ['only'] }))
    await expect(readModelDir(dir)).rejects.toBeInstanceOf(InvalidModelCardError)
    expect(existsSync(join(dir, MODEL_FILES.graph))).toBe(true)
  })
})
