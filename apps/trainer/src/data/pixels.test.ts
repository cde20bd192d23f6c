import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../core/backend.ts'
import { DEFAULTS } from '../paths.ts'
import type { LabelledFile } from './dataset.ts'
import { gatherRows, rowLength } from './pixel-store.ts'
import { PixelSet } from './pixels.ts'

const POLICY = { mode: 'stretch', size: 24, filter: 'bilinear' } as const
const photo = (name: string, path = join(DEFAULTS.data, name)): LabelledFile => ({
  label: name.split('.')[0]!,
  name,
  path,
})

describe('PixelSet: photos decoded once, their bytes in shared memory', () => {
  let dir: string
  let files: LabelledFile[]

  beforeAll(async () => {
    await selectBackend('cpu')
    dir = await mkdtemp(join(tmpdir(), 'whisker-pixels-'))
    await writeFile(join(dir, 'cat.broken.jpg'), Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3))
    files = [photo('cat.0.jpg'), photo('cat.broken.jpg', join(dir, 'cat.broken.jpg')), photo('dog.0.jpg')]
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('keeps each readable photo as one row of the preprocessing contract’s levels, skipping what cannot be read', async () => {
    const { set, unreadable } = await PixelSet.load(files, POLICY)
    expect(set.files.map((f) => f.name)).toEqual(['cat.0.jpg', 'dog.0.jpg'])
    expect(unreadable.map((u) => u.name)).toEqual(['cat.broken.jpg'])
    expect(set.store.bytes.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(set.store.bytes.length).toBe(2 * rowLength(24))
    const dog = toModelInput(await decodeImage(await readFile(files[2]!.path)), POLICY)
    expect(Array.from(set.store.bytes.subarray(rowLength(24)))).toEqual(Array.from(dog, (v) => Math.round(v)))
  })

  it('gathers any rows, in the order asked, as float 0–255 pixels: the same batch a worker gathers from the store', async () => {
    const { set } = await PixelSet.load(files, POLICY)
    const batch = set.batch([1, 0, 1])
    const fromStore = gatherRows(set.store, Int32Array.of(1, 0, 1))
    expect(batch.shape).toEqual([3, 24, 24, 3])
    expect(batch.dtype).toBe('float32')
    const values = batch.dataSync()
    expect(Array.from(fromStore.dataSync())).toEqual(Array.from(values))
    expect(Array.from(values.subarray(0, rowLength(24)))).toEqual(
      Array.from(set.store.bytes.subarray(rowLength(24))),
    )
    batch.dispose()
    fromStore.dispose()
  })
})
