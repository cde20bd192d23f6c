import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { concatBytes } from '@whisker/preprocess'
import {
  BACKBONE_SPEC_FILE,
  BACKBONES,
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
  /** Folder of pretrained backbones, one sub-folder per registry name (--models, WHISKER_MODELS). */
  modelsDir?: string
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
  /** Every place looked in, in order. */
  readonly tried: readonly string[]
  constructor(what: string, tried: readonly string[], remedy: string) {
    super(`Backbone ${what} not found. Looked in: ${tried.join('; ') || 'nowhere'}. ${remedy}`)
    this.name = 'BackboneNotFoundError'
    this.tried = tried
  }
}

interface ModelJson {
  modelTopology: object
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

/**
 * Resolves a backbone from the path given or, for a registry name, the models folder; a layers model only
 * (see loadAnyBackbone), cut at its feature layer. Weights are read from disk only, never downloaded: runs
 * must work offline and use exactly the files the user put in place.
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
    if (!existsSync(join(folder, 'model.json'))) {
      throw new BackboneNotFoundError(
        source.backbone,
        [folder],
        `Pass a folder holding a tfjs model.json and its weight shards, or a registry name (${Object.keys(BACKBONES).join(', ')}).`,
      )
    }
    return { folder, spec: await specForFolder(folder) }
  }
  const spec = backboneSpec(source.backbone)
  const folder = source.modelsDir && join(source.modelsDir, spec.name)
  if (folder && existsSync(join(folder, 'model.json'))) return { folder, spec }
  throw new BackboneNotFoundError(spec.name, folder ? [folder] : [], howToGet(spec))
}

/** What the user can do about a missing registry backbone: Whisker will not fetch it for them. */
function howToGet(spec: BackboneSpec): string {
  const origin = spec.origin ? ` Its weights come from ${spec.origin}.` : ''
  return `Whisker never downloads weights: put the ${spec.name} folder (model.json and its weight shards) in the models folder (--models DIR or WHISKER_MODELS), or pass --backbone PATH to that folder.${origin}`
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
  throw new BackboneNotFoundError(
    `at ${folder}`,
    [file],
    `${BACKBONE_SPEC_FILE} is missing there: it says the network's input size, value range and feature layer (see the model-core README "Your own backbone"), unless the folder is named like a registry entry.`,
  )
}

/** Every group's shards, concatenated in manifest order: the weight bytes as tfjs reads them. */
async function readShards(folder: string, json: ModelJson): Promise<ArrayBuffer> {
  const shards: Uint8Array[] = []
  for (const group of json.weightsManifest) {
    for (const path of group.paths) shards.push(await readFile(join(folder, path)))
  }
  return concatBytes(shards).slice().buffer // a copy: a lone shard's Buffer may share a larger buffer
}
