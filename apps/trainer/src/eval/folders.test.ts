import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkLabels, compareIds, LabelMismatchError, readUnlabelledFolder } from './folders.ts'

describe('compareIds', () => {
  it('orders numeric ids by value and puts other ids after them', () => {
    expect(['10', 'b', '2', '100', 'a10', '1', 'a9'].sort(compareIds)).toEqual([
      '1',
      '2',
      '10',
      '100',
      'a9',
      'a10',
      'b',
    ])
  })
})

describe('readUnlabelledFolder', () => {
  it('takes the image files, ids from their names, numeric order, and lists the rest as skipped', async () => {
    const root = await mkdtemp(join(tmpdir(), 'whisker-unlabelled-'))
    for (const name of ['10.jpg', '2.JPEG', '1.png', '3.webp', 'notes.txt'])
      await writeFile(join(root, name), '')
    await mkdir(join(root, 'nested'))
    const folder = await readUnlabelledFolder(root)
    expect(folder.photos.map((p) => [p.id, p.name])).toEqual([
      ['1', '1.png'],
      ['2', '2.JPEG'],
      ['3', '3.webp'],
      ['10', '10.jpg'],
    ])
    expect(folder.photos[0]!.path).toBe(join(root, '1.png'))
    expect(folder.skipped.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'nested', reason: 'a folder' },
      { name: 'notes.txt', reason: 'not an image file' },
    ])
  })

  it('refuses two photos with the same id, and a folder without photos', async () => {
    const root = await mkdtemp(join(tmpdir(), 'whisker-unlabelled-'))
    await writeFile(join(root, 'readme.md'), '')
    await expect(readUnlabelledFolder(root)).rejects.toMatchObject({ code: 'DATASET_INVALID' })
    await writeFile(join(root, '7.jpg'), '')
    await writeFile(join(root, '7.png'), '')
    await expect(readUnlabelledFolder(root)).rejects.toThrow(/two photos with id 7/)
    await expect(readUnlabelledFolder(join(root, 'missing'))).rejects.toThrow(/Cannot read photo folder/)
  })
})

describe('checkLabels', () => {
  it("accepts the model's classes or some of them, and names any class the model lacks", () => {
    expect(() => checkLabels('/d', ['cat', 'dog'], ['cat', 'dog'])).not.toThrow()
    expect(() => checkLabels('/d', ['cat', 'dog'], ['bird', 'cat', 'dog'])).not.toThrow()
    expect(() => checkLabels('/d', ['cat', 'fox', 'owl'], ['cat', 'dog'])).toThrow(
      new LabelMismatchError(
        'The photos in /d are labelled cat, fox, owl, but the model\'s labels are cat, dog: "fox", "owl" are not among them',
      ),
    )
  })
})
