import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { countByLabel, DatasetError, readDataset } from './dataset.ts'

async function folderWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'whisker-dataset-'))
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true })
    await writeFile(join(root, name), content)
  }
  return root
}

describe('readDataset', () => {
  it('reads the Kaggle flat layout, labelling each photo by the name before the first dot', async () => {
    const root = await folderWith({ 'cat.1.jpg': 'x', 'cat.2.jpg': 'x', 'dog.1.jpg': 'x', 'notes.txt': 'x' })
    const dataset = await readDataset(root)
    expect(dataset.labels).toEqual(['cat', 'dog'])
    expect(countByLabel(dataset.files)).toEqual({ cat: 2, dog: 1 })
    expect(dataset.skipped).toEqual([{ name: 'notes.txt', reason: 'not an image file' }])
  })

  it('reads one folder per class, any number of classes', async () => {
    const root = await folderWith({ 'a/1.png': 'x', 'b/2.webp': 'x', 'c/3.jpeg': 'x', 'c/readme.md': 'x' })
    const dataset = await readDataset(root)
    expect(dataset.labels).toEqual(['a', 'b', 'c'])
    expect(dataset.files.map((f) => f.name)).toEqual(['a/1.png', 'b/2.webp', 'c/3.jpeg'])
    expect(dataset.skipped.map((s) => s.name)).toEqual(['c/readme.md'])
  })

  it('refuses a folder with fewer than two classes', async () => {
    const root = await folderWith({ 'cat.1.jpg': 'x', 'cat.2.jpg': 'x' })
    await expect(readDataset(root)).rejects.toThrow(DatasetError)
  })

  it('says clearly when the folder does not exist', async () => {
    await expect(readDataset('/nonexistent/whisker')).rejects.toThrow(/Cannot read dataset folder/)
  })
})
