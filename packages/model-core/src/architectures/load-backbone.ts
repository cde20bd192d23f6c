import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { type BackboneSpec, backboneSpec, isBackboneName } from './backbones.ts'

export interface BackboneSource {
  /** A registry name (e.g. mobilenet_v2_0.35) or a folder holding a layers model.json. */
  backbone: string
  /** Folder of pretrained backbones, one sub-folder per name (WHISKER_MODELS). */
  modelsDir?: string
  /** Where downloads are cached (default ~/.cache/whisker/models). */
  cacheDir?: string
  /**
   * Download from `<baseUrl>/<name>/model.json` (a mirror laid out like the models folder) instead of the
   * backbone's canonical URL; this also makes backbones without a canonical URL downloadable.
   */
  baseUrl?: string
}

export interface LoadedBackbone {
  spec: BackboneSpec
  /** The backbone cut at its feature layer (no pooling). */
  model: tfl.LayersModel
  /** Where it was loaded from, for the run report. */
  from: string
}

export class BackboneNotFoundError extends Error {
  readonly code = 'BACKBONE_NOT_FOUND'
  constructor(what: string, tried: string[]) {
    super(
      `Backbone ${what} not found. Tried: ${tried.join('; ')}. Set WHISKER_MODELS or pass --backbone PATH.`,
    )
    this.name = 'BackboneNotFoundError'
  }
}

interface LayersModelJson {
  modelTopology: object
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

/** Resolves a backbone from a path, the models folder, the download cache or its canonical URL, in that order. */
export async function loadBackbone(source: BackboneSource): Promise<LoadedBackbone> {
  const { folder, spec } = await locateBackbone(source)
  const full = await tfl.loadLayersModel(await readLayersModel(folder))
  const model = tfl.model({ inputs: full.inputs, outputs: full.getLayer(spec.featureLayer).output })
  return { spec, model, from: folder }
}

async function locateBackbone(source: BackboneSource): Promise<{ folder: string; spec: BackboneSpec }> {
  if (!isBackboneName(source.backbone)) {
    const folder = resolve(source.backbone)
    if (!existsSync(join(folder, 'model.json'))) throw new BackboneNotFoundError(source.backbone, [folder])
    return { folder, spec: specForFolder(folder) }
  }
  const spec = backboneSpec(source.backbone)
  const candidates = [
    source.modelsDir && join(source.modelsDir, spec.name),
    join(source.cacheDir ?? defaultCacheDir(), spec.name),
  ].filter((c): c is string => Boolean(c))
  const found = candidates.find((c) => existsSync(join(c, 'model.json')))
  if (found) return { folder: found, spec }
  const url = source.baseUrl
    ? new URL(`${spec.name}/model.json`, withTrailingSlash(source.baseUrl)).href
    : spec.url
  if (!url) throw new BackboneNotFoundError(spec.name, candidates)
  const cached = candidates.at(-1)!
  await downloadLayersModel(url, cached)
  return { folder: cached, spec }
}

/** A folder named like a registry entry gets that entry's settings; others must be registry-shaped too. */
function specForFolder(folder: string): BackboneSpec {
  const name = folder.split(/[\\/]/).at(-1) ?? ''
  if (isBackboneName(name)) return backboneSpec(name)
  throw new BackboneNotFoundError(`at ${folder}`, [
    `the folder name must be one of the registry's names so its input size, range and feature layer are known`,
  ])
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'whisker', 'models')
}

async function readLayersModel(folder: string): Promise<tf.io.IOHandler> {
  const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as LayersModelJson
  const shards: Uint8Array[] = []
  for (const group of json.weightsManifest) {
    for (const path of group.paths) shards.push(await readFile(join(folder, path)))
  }
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: concat(shards),
  })
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out.buffer
}

/** Downloads model.json and its shards into `folder`; written to a temp name first so a failed download never looks cached. */
async function downloadLayersModel(url: string, folder: string): Promise<void> {
  const json = (await fetchOk(url).then((r) => r.json())) as LayersModelJson
  const staging = `${folder}.partial`
  await mkdir(staging, { recursive: true })
  for (const path of json.weightsManifest.flatMap((g) => g.paths)) {
    assertPlainShardName(path, url)
    const bytes = new Uint8Array(await (await fetchOk(new URL(path, url).href)).arrayBuffer())
    await mkdir(dirname(join(staging, path)), { recursive: true })
    await writeFile(join(staging, path), bytes)
  }
  await writeFile(join(staging, 'model.json'), JSON.stringify(json))
  await mkdir(dirname(folder), { recursive: true })
  await rename(staging, folder)
}

/** A shard name from a downloaded manifest must stay inside the cache folder: no `..`, no absolute paths. */
function assertPlainShardName(path: string, url: string): void {
  if (!/^[\w.-]+$/.test(path) || path.startsWith('.')) {
    throw new Error(`Refusing weight shard "${path}" listed by ${url}: shard names must be plain file names.`)
  }
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`)
  return response
}
