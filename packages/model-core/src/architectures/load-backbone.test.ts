import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, normalize } from 'node:path'
import { MODELS_DIR } from '@whisker/fixtures'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { rejection } from '../test-support/rejection.ts'
import { useWasmBackend } from '../test-support/tf.ts'
import { BACKBONE_SPEC_FILE, BACKBONES, type BackboneName, InvalidBackboneSpecError } from './backbones.ts'
import { BackboneNotFoundError, loadBackbone } from './load-backbone.ts'

beforeAll(useWasmBackend)

const MOBILENET = 'mobilenet_v2_0.35'
let scratch: string
/** A new empty folder for each use: nothing a test leaves behind is seen by another. */
let folders = 0
const emptyFolder = async (label: string) => {
  const folder = join(scratch, `${label}-${++folders}`)
  await mkdir(folder, { recursive: true })
  return folder
}

/**
 * Nothing may download weights at run time: any fetch fails loudly and is recorded, and every test in this
 * file, whether its load succeeds or is refused, checks that none was made.
 */
const fetch = vi.fn(() => {
  throw new Error('fetch called: nothing may download weights at run time')
})
beforeAll(() => {
  vi.stubGlobal('fetch', fetch)
})
afterEach(() => {
  expect(fetch).not.toHaveBeenCalled()
})
afterAll(() => {
  vi.unstubAllGlobals()
})

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'whisker-load-backbone-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('loadBackbone refusals', () => {
  it('refuses a folder without model.json as BACKBONE_NOT_FOUND, naming the folder and the registry names', async () => {
    const folder = join(scratch, 'nowhere', MOBILENET)
    const error = await rejection(loadBackbone({ backbone: folder }))
    expect(error).toBeInstanceOf(BackboneNotFoundError)
    expect(error).toMatchObject({ code: 'BACKBONE_NOT_FOUND', tried: [folder] })
    expect(error.message).toContain(folder)
    expect(error.message).toContain(Object.keys(BACKBONES).join(', '))
  })

  it.each(Object.keys(BACKBONES) as BackboneName[])(
    'refuses %s missing from the models folder as BACKBONE_NOT_FOUND, naming where it looked, where to put it and its origin',
    async (name) => {
      const modelsDir = await emptyFolder('models')
      const error = await rejection(loadBackbone({ backbone: name, modelsDir }))
      expect(error).toBeInstanceOf(BackboneNotFoundError)
      expect(error).toMatchObject({ code: 'BACKBONE_NOT_FOUND', tried: [join(modelsDir, name)] })
      expect(error.message).toContain(`Looked in: ${join(modelsDir, name)}.`)
      expect(error.message).toMatch(
        /never downloads weights: put the \S+ folder .* in the models folder \(--models DIR or WHISKER_MODELS\)/,
      )
      expect(error.message).toContain(`Its weights come from ${BACKBONES[name].origin}.`)
    },
  )

  it('refuses a registry name with no models folder given, saying it looked nowhere', async () => {
    const error = await rejection(loadBackbone({ backbone: MOBILENET }))
    expect(error).toMatchObject({ code: 'BACKBONE_NOT_FOUND', tried: [] })
    expect(error.message).toContain('Looked in: nowhere.')
  })

  it('refuses a model folder whose name is not a registry name: its input size and feature layer are unknown', async () => {
    const folder = join(await emptyFolder('custom'), 'my_backbone')
    await mkdir(folder)
    await writeFile(join(folder, 'model.json'), '{}')
    const error = await rejection(loadBackbone({ backbone: folder }))
    expect(error).toBeInstanceOf(BackboneNotFoundError)
    expect(error.message).toMatch(/whisker-backbone\.json is missing/)
  })
})

describe('a user’s own backbone: any folder with a whisker-backbone.json', () => {
  /** MobileNetV2 α0.35's files under a name the registry does not know, with the given spec. */
  async function ownBackbone(spec: Record<string, unknown>): Promise<string> {
    const folder = join(await emptyFolder('own'), 'pet-net')
    await cp(join(MODELS_DIR, MOBILENET), folder, { recursive: true })
    await writeFile(join(folder, BACKBONE_SPEC_FILE), JSON.stringify(spec))
    return folder
  }
  const spec = { ...BACKBONES[MOBILENET], name: 'pet-net', origin: undefined }

  it('loads with the settings its spec file gives, cut at its feature layer', async () => {
    const backbone = await loadBackbone({ backbone: await ownBackbone(spec) })
    expect(backbone.spec).toMatchObject({ name: 'pet-net', featureLayer: 'out_relu', featureDim: 1280 })
    expect(backbone.model.outputs[0]!.shape).toEqual([null, 7, 7, 1280])
    backbone.model.dispose()
  })

  it.each([
    [{ ...spec, featureLayer: 'no_such_layer' }, /no layer "no_such_layer"/],
    [{ ...spec, featureDim: 512 }, /not a feature map of 512 channels/],
    [{ ...spec, inputSize: 160 }, /takes 224×224 inputs, not 160×160/],
    [{ ...spec, normalization: undefined }, /normalization/],
  ])('refuses a spec that does not fit its network (%#), naming the field', async (bad, message) => {
    const error = await rejection(loadBackbone({ backbone: await ownBackbone(bad) }))
    expect(error).toBeInstanceOf(InvalidBackboneSpecError)
    expect(error.message).toMatch(message)
    expect(error.message).toContain(BACKBONE_SPEC_FILE)
  })
})

describe('loadBackbone from disk', () => {
  it('finds a registry backbone in the models folder and cuts it at its feature layer', async () => {
    const backbone = await loadBackbone({ backbone: MOBILENET, modelsDir: MODELS_DIR })
    expect(backbone.from).toBe(join(MODELS_DIR, MOBILENET))
    expect(backbone.spec).toBe(BACKBONES[MOBILENET])
    expect(backbone.model.outputs[0]!.shape).toEqual([null, 7, 7, 1280])
    expect(backbone.model.layers.at(-1)!.name).toBe('out_relu')
    backbone.model.dispose()
  })

  const present = (Object.keys(BACKBONES) as BackboneName[]).filter((name) =>
    existsSync(join(MODELS_DIR, name, 'model.json')),
  )
  it.each(present)('gives %s a feature layer with the registry’s featureDim channels', async (name) => {
    const backbone = await loadBackbone({ backbone: name, modelsDir: MODELS_DIR })
    const shape = backbone.model.outputs[0]!.shape
    expect(shape).toHaveLength(4)
    expect(shape[3]).toBe(BACKBONES[name].featureDim)
    expect(backbone.model.inputs[0]!.shape).toEqual([null, 224, 224, 3])
    backbone.model.dispose()
  })

  it('loads from an explicit folder path, taking the settings of the registry entry it is named after', async () => {
    const folder = join(MODELS_DIR, MOBILENET)
    const backbone = await loadBackbone({ backbone: `${folder}/` })
    expect(backbone.from).toBe(normalize(folder))
    expect(backbone.spec).toBe(BACKBONES[MOBILENET])
    expect(backbone.model.outputs[0]!.shape).toEqual([null, 7, 7, 1280])
    backbone.model.dispose()
  })
})
