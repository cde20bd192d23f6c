import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The folders of src/, lowest first: a file may import its own folder and the folders before it, never one
 * after it, so each folder can be read knowing only those below. `core` holds the runtime pieces every layer
 * shares (backend choice, seeded randomness, metrics, number formats, opening a model folder, the reporter).
 */
const LAYERS = [
  'core',
  'run',
  'augment',
  'data',
  'parallel',
  'explain',
  'train',
  'eval',
  'report',
  'docs',
  'commands',
] as const

const SRC = import.meta.dirname
const folders = readdirSync(SRC, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)

/** The src/ folders one file imports from outside its own folder. */
function importedFolders(folder: string, file: string): string[] {
  const text = readFileSync(join(SRC, folder, file), 'utf8')
  return [...text.matchAll(/from '\.\.\/([a-z-]+)\//g)].map((match) => match[1]!)
}

describe('src/ layering', () => {
  it('places every folder in the layer order', () => {
    expect([...folders].sort()).toEqual([...LAYERS].sort())
  })

  it.each(LAYERS.map((folder, rank) => ({ folder, rank })))(
    '$folder imports only layers below it',
    ({ folder, rank }) => {
      const upward = readdirSync(join(SRC, folder))
        .filter((file) => file.endsWith('.ts'))
        .flatMap((file) =>
          importedFolders(folder, file)
            .filter((imported) => LAYERS.indexOf(imported as (typeof LAYERS)[number]) > rank)
            .map((imported) => `${folder}/${file} imports ${imported}/`),
        )
      expect(upward).toEqual([])
    },
  )
})
