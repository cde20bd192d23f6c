import { existsSync, readdirSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, normalize } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import { MODELS_DIR } from '@whisker/fixtures'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { rejection } from '../test-support/rejection.ts'
import { maxAbsDiff, runLayers, seededRandom, uniform, useWasmBackend } from '../test-support/tf.ts'
import { BACKBONE_SPEC_FILE, BACKBONES, type BackboneName, InvalidBackboneSpecError } from './backbones.ts'
import { BackboneNotFoundError, defaultCacheDir, type LoadedBackbone, loadBackbone } from './load-backbone.ts'

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

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'whisker-load-backbone-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('defaultCacheDir', () => {
  it('is whisker/models under XDG_CACHE_HOME when set, else under ~/.cache', () => {
    vi.stubEnv('XDG_CACHE_HOME', '/var/cache/someone')
    expect(defaultCacheDir()).toBe(join('/var/cache/someone', 'whisker', 'models'))
    vi.stubEnv('XDG_CACHE_HOME', undefined)
    expect(defaultCacheDir()).toMatch(/[\\/]\.cache[\\/]whisker[\\/]models$/)
    vi.unstubAllEnvs()
  })
})

describe('loadBackbone refusals', () => {
  it('refuses a folder without model.json as BACKBONE_NOT_FOUND, naming the folder', async () => {
    const folder = join(scratch, 'nowhere', MOBILENET)
    const error = await rejection(loadBackbone({ backbone: folder }))
    expect(error).toBeInstanceOf(BackboneNotFoundError)
    expect(error).toMatchObject({ code: 'BACKBONE_NOT_FOUND' })
    expect(error.message).toContain(folder)
  })

  it('refuses a registry backbone found nowhere and with no URL, listing every folder it tried', async () => {
    const modelsDir = await emptyFolder('models')
    const cacheDir = await emptyFolder('cache')
    expect('url' in BACKBONES.darknet_tiny).toBe(false)
    const error = await rejection(loadBackbone({ backbone: 'darknet_tiny', modelsDir, cacheDir }))
    expect(error).toBeInstanceOf(BackboneNotFoundError)
    expect(error.message).toContain(join(modelsDir, 'darknet_tiny'))
    expect(error.message).toContain(join(cacheDir, 'darknet_tiny'))
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
  const spec = { ...BACKBONES[MOBILENET], name: 'pet-net', url: undefined }

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
    const cacheDir = await emptyFolder('cache')
    const backbone = await loadBackbone({ backbone: MOBILENET, modelsDir: MODELS_DIR, cacheDir })
    expect(backbone.from).toBe(join(MODELS_DIR, MOBILENET))
    expect(backbone.spec).toBe(BACKBONES[MOBILENET])
    expect(backbone.model.outputs[0]!.shape).toEqual([null, 7, 7, 1280])
    expect(backbone.model.layers.at(-1)!.name).toBe('out_relu')
    expect(readdirSync(cacheDir)).toEqual([])
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

/** Serves the models folder over HTTP on 127.0.0.1, recording each request; `failing` paths answer 404. */
async function serveModels(): Promise<{
  url: string
  requests: string[]
  failing: Set<string>
  server: Server
}> {
  const requests: string[] = []
  const failing = new Set<string>()
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname)
    requests.push(path)
    const file = join(MODELS_DIR, normalize(path))
    if (failing.has(path) || !file.startsWith(MODELS_DIR) || !existsSync(file)) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(await readFile(file))
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, requests, failing, server }
}

function stop(server: Server): Promise<void> {
  return new Promise((closed) => {
    server.close(() => closed())
    server.closeAllConnections()
  })
}

describe('loadBackbone downloading into the cache', () => {
  const shard = `/${MOBILENET}/group1-shard1of1.bin`
  let probe: tf.Tensor4D
  beforeAll(() => {
    probe = tf.tensor4d(uniform(seededRandom(31), 224 * 224 * 3, -1, 1), [1, 224, 224, 3])
  })
  afterAll(() => probe.dispose())
  const features = (backbone: LoadedBackbone) => runLayers(backbone.model, probe)

  it('downloads model.json and its shards into cacheDir, then loads from the cache with the server gone', async () => {
    const modelsDir = await emptyFolder('models')
    const cacheDir = await emptyFolder('cache')
    const { url, requests, server } = await serveModels()

    const first = await loadBackbone({ backbone: MOBILENET, modelsDir, cacheDir, baseUrl: url })
    expect(requests).toEqual([`/${MOBILENET}/model.json`, shard])
    expect(first.from).toBe(join(cacheDir, MOBILENET))
    expect(readdirSync(cacheDir)).toEqual([MOBILENET])
    expect(await readFile(join(cacheDir, shard))).toEqual(await readFile(join(MODELS_DIR, shard)))
    await stop(server)

    const second = await loadBackbone({ backbone: MOBILENET, modelsDir, cacheDir, baseUrl: url })
    expect(second.from).toBe(join(cacheDir, MOBILENET))
    expect(requests).toHaveLength(2)
    const reference = await loadBackbone({ backbone: MOBILENET, modelsDir: MODELS_DIR })
    const expected = await features(reference)
    expect(maxAbsDiff(await features(first), expected)).toBe(0)
    expect(maxAbsDiff(await features(second), expected)).toBe(0)
    for (const b of [first, second, reference]) b.model.dispose()
  })

  it('prefers the models folder to the download', async () => {
    const cacheDir = await emptyFolder('cache')
    const { url, requests, server } = await serveModels()
    const backbone = await loadBackbone({
      backbone: MOBILENET,
      modelsDir: MODELS_DIR,
      cacheDir,
      baseUrl: url,
    })
    await stop(server)
    expect(backbone.from).toBe(join(MODELS_DIR, MOBILENET))
    expect(requests).toEqual([])
    backbone.model.dispose()
  })

  it('never leaves a failed download looking cached, and the next load downloads again', async () => {
    const modelsDir = await emptyFolder('models')
    const cacheDir = await emptyFolder('cache')
    const { url, requests, failing, server } = await serveModels()
    failing.add(shard)

    const error = await rejection(loadBackbone({ backbone: MOBILENET, modelsDir, cacheDir, baseUrl: url }))
    expect(error.message).toContain('404')
    expect(existsSync(join(cacheDir, MOBILENET))).toBe(false)

    failing.clear()
    const backbone = await loadBackbone({ backbone: MOBILENET, modelsDir, cacheDir, baseUrl: url })
    await stop(server)
    expect(backbone.from).toBe(join(cacheDir, MOBILENET))
    expect(requests.filter((r) => r === shard)).toHaveLength(2)
    backbone.model.dispose()
  })
})
