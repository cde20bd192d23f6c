import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { concatBytes } from '@whisker/preprocess'
import { writeFolderAtomically } from '../write-atomically.ts'
import {
  BACKBONE_SPEC_FILE,
  type BackboneSpec,
  backboneSpec,
  InvalidBackboneSpecError,
  isBackboneName,
  parseBackboneSpec,
} from './backbones.ts'
import { type GraphBackbone, isGraphModelFile, loadGraphBackbone } from './graph-backbone.ts'

export interface BackboneSource {
  /** A registry name (e.g. mobilenet_v2_0.35) or a folder holding a model.json (layers or graph). */
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

/** A backbone stored as a tfjs layers model: trainable, so it can also be fine-tuned. */
export interface LoadedBackbone {
  readonly kind: 'layers'
  spec: BackboneSpec
  /** The backbone cut at its feature layer (no pooling). */
  model: tfl.LayersModel
  /** Where it was loaded from, for the run report. */
  from: string
}

/** Either kind of backbone: what embedding and export take. */
export type AnyBackbone = LoadedBackbone | GraphBackbone

export class GraphBackboneNotTrainableError extends Error {
  readonly code = 'GRAPH_BACKBONE_NOT_TRAINABLE'
  constructor(from: string, purpose: string) {
    super(
      `The backbone at ${from} is a tfjs graph model, which carries no trainable layers (its weights are constants), so it cannot be used for ${purpose}. A graph backbone can be embedded and exported with a trained head; for ${purpose}, bring it as a tfjs layers model.`,
    )
    this.name = 'GraphBackboneNotTrainableError'
  }
}

/** The backbone's layers model, for what needs one (fine-tuning); a graph backbone is refused, saying why. */
export function requireLayers(backbone: AnyBackbone, purpose: string): LoadedBackbone {
  if (backbone.kind === 'graph') throw new GraphBackboneNotTrainableError(backbone.from, purpose)
  return backbone
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

interface ModelJson {
  modelTopology: object
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

/**
 * Resolves a backbone from a path, the models folder, the download cache or its canonical URL, in that
 * order; a layers model only (see loadAnyBackbone), cut at its feature layer.
 */
export async function loadBackbone(source: BackboneSource): Promise<LoadedBackbone> {
  return requireLayers(
    await loadAnyBackbone(source),
    'loadBackbone, which returns a layers model (loadAnyBackbone takes both)',
  )
}

/** Like loadBackbone, and a folder may also hold a tfjs graph model (see GraphBackbone). */
export async function loadAnyBackbone(source: BackboneSource): Promise<AnyBackbone> {
  const { folder, spec } = await locateBackbone(source)
  const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as ModelJson
  const weights = await readShards(folder, json)
  const where = join(folder, BACKBONE_SPEC_FILE)
  if (isGraphModelFile(json)) return loadGraphBackbone(json, weights, spec, folder, where)
  const full = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights,
    }),
  )
  const layer = full.layers.find((l) => l.name === spec.featureLayer)
  if (!layer) {
    throw new InvalidBackboneSpecError(
      where,
      `the network has no layer "${spec.featureLayer}" (featureLayer)`,
    )
  }
  const output = layer.output as tfl.SymbolicTensor
  const channels = output.shape[3]
  if (output.shape.length !== 4 || channels !== spec.featureDim) {
    throw new InvalidBackboneSpecError(
      where,
      `layer "${spec.featureLayer}" outputs ${JSON.stringify(output.shape)}, not a feature map of ${spec.featureDim} channels (featureDim)`,
    )
  }
  const [, inHeight, inWidth] = full.inputs[0]!.shape
  if (
    (inHeight !== null && inHeight !== spec.inputSize) ||
    (inWidth !== null && inWidth !== spec.inputSize)
  ) {
    throw new InvalidBackboneSpecError(
      where,
      `the network takes ${inHeight}×${inWidth} inputs, not ${spec.inputSize}×${spec.inputSize} (inputSize)`,
    )
  }
  const model = tfl.model({ inputs: full.inputs, outputs: output })
  return { kind: 'layers', spec, model, from: folder }
}

async function locateBackbone(source: BackboneSource): Promise<{ folder: string; spec: BackboneSpec }> {
  if (!isBackboneName(source.backbone)) {
    const folder = resolve(source.backbone)
    if (!existsSync(join(folder, 'model.json'))) throw new BackboneNotFoundError(source.backbone, [folder])
    return { folder, spec: await specForFolder(folder) }
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
  await downloadModel(url, cached)
  return { folder: cached, spec }
}

/**
 * A folder's own spec file says what its network expects; without one, a folder named like a registry
 * entry gets that entry's settings. Anything else is refused: guessing a value range silently costs
 * tens of points of accuracy.
 */
async function specForFolder(folder: string): Promise<BackboneSpec> {
  const file = join(folder, BACKBONE_SPEC_FILE)
  if (existsSync(file)) {
    let json: unknown
    try {
      json = JSON.parse(await readFile(file, 'utf8'))
    } catch (error) {
      throw new InvalidBackboneSpecError(file, `not JSON (${(error as Error).message})`)
    }
    return parseBackboneSpec(json, file)
  }
  const name = folder.split(/[\\/]/).at(-1) ?? ''
  if (isBackboneName(name)) return backboneSpec(name)
  throw new BackboneNotFoundError(`at ${folder}`, [
    `${BACKBONE_SPEC_FILE} is missing there: it says the network's input size, value range and feature layer (see the model-core README), unless the folder is named like a registry entry`,
  ])
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'whisker', 'models')
}

/** Every group's shards, concatenated in manifest order: the weight bytes as tfjs reads them. */
async function readShards(folder: string, json: ModelJson): Promise<ArrayBuffer> {
  const shards: Uint8Array[] = []
  for (const group of json.weightsManifest) {
    for (const path of group.paths) shards.push(await readFile(join(folder, path)))
  }
  return concatBytes(shards).slice().buffer // a copy: a lone shard's Buffer may share a larger buffer
}

/** Downloads model.json and its shards into `folder`; written to a temp name first so a failed download never looks cached. */
async function downloadModel(url: string, folder: string): Promise<void> {
  const json = (await fetchOk(url).then((r) => r.json())) as ModelJson
  await writeFolderAtomically(folder, async (staging) => {
    for (const path of json.weightsManifest.flatMap((g) => g.paths)) {
      assertPlainShardName(path, url)
      const bytes = new Uint8Array(await (await fetchOk(new URL(path, url).href)).arrayBuffer())
      await mkdir(dirname(join(staging, path)), { recursive: true })
      await writeFile(join(staging, path), bytes)
    }
    await writeFile(join(staging, 'model.json'), JSON.stringify(json))
  })
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
