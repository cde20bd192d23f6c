import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { MODELS_DIR } from '@whisker/fixtures'
import { BACKBONE_SPEC_FILE, BACKBONES, type BackboneSpec } from '../architectures/backbones.ts'
import type { GraphModelFile } from '../architectures/graph-backbone.ts'
import { loadBackbone } from '../architectures/load-backbone.ts'
import { MODEL_FILES } from '../artifacts.ts'
import { exportGraphModel } from '../export/index.ts'
import type { TensorEncoding } from '../export/quantize.ts'

/**
 * A user's own backbones, made at test time from a real one: MobileNetV2 α0.35 from ../shared/models, cut
 * after block 13's expansion (14 × 14 × 192), once as a tfjs layers folder and once as a tfjs graph
 * folder, each with its whisker-backbone.json. The graph is written by Whisker's exporter (what a user
 * exporting their own Keras network through tensorflowjs_converter gets is the same kind of file: fused
 * convolutions, constants in a weights manifest) and runs one block past its feature node, so loading it
 * must cut it.
 */
export const CUT = {
  /** The layers backbone's feature layer. */
  layer: 'block_13_expand_relu',
  /** The same tensor in the graph: the fused convolution carries the BatchNorm and the relu6. */
  node: 'block_13_expand',
  /** Where the graph file ends. */
  graphEnd: 'block_14_add',
  featureDim: 192,
} as const

const SOURCE = 'mobilenet_v2_0.35'

/** The spec both folders carry, with `overrides` (a test's broken field, or the graph's node name). */
export function cutSpec(
  overrides: Partial<Record<keyof BackboneSpec, unknown>> = {},
): Record<string, unknown> {
  const { origin: _origin, ...registry } = BACKBONES[SOURCE]
  return {
    ...registry,
    name: 'pet-net',
    featureLayer: CUT.layer,
    featureDim: CUT.featureDim,
    ...overrides,
  }
}

/** The cut network as a Layers model, ending at `layer`. */
async function cutModel(layer: string): Promise<tfl.LayersModel> {
  const full = await loadBackbone({ backbone: SOURCE, modelsDir: MODELS_DIR })
  return tfl.model({ inputs: full.model.inputs, outputs: full.model.getLayer(layer).output })
}

/** Writes the cut backbone as a tfjs layers folder (model.json + weights.bin + whisker-backbone.json). */
export async function writeLayersBackbone(folder: string, spec = cutSpec()): Promise<string> {
  const model = await cutModel(CUT.layer)
  await mkdir(folder, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs }],
      }
      await writeFile(join(folder, MODEL_FILES.graph), JSON.stringify(json))
      await writeFile(join(folder, MODEL_FILES.weights), new Uint8Array(artifacts.weightData as ArrayBuffer))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  await writeFile(join(folder, BACKBONE_SPEC_FILE), JSON.stringify(spec))
  return folder
}

export interface GraphFolderOptions {
  /** How the graph file stores its weights (a converter's --quantize_float16 / uint8 files are dequantized on load). */
  storage?: TensorEncoding
  spec?: Record<string, unknown>
  /** Edits model.json before it is written (a test's unsupported op). */
  edit?: (json: GraphModelFile) => void
}

/**
 * Writes the cut backbone as a tfjs graph folder: input placeholder `images` taking values already in
 * [-1, 1] (the spec says how to get there), feature node CUT.node, output `Identity` at CUT.graphEnd.
 */
export async function writeGraphBackbone(folder: string, options: GraphFolderOptions = {}): Promise<string> {
  const model = await cutModel(CUT.graphEnd)
  const graph = exportGraphModel(model, {
    inputName: 'images',
    outputName: 'Identity',
    normalization: { scale: 1, offset: 0 },
    quantization: options.storage ?? 'none',
  })
  const json = structuredClone(graph.modelJson) as unknown as GraphModelFile
  options.edit?.(json)
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, MODEL_FILES.graph), JSON.stringify(json))
  await writeFile(join(folder, MODEL_FILES.weights), new Uint8Array(graph.weights))
  await writeFile(
    join(folder, BACKBONE_SPEC_FILE),
    JSON.stringify(options.spec ?? cutSpec({ featureLayer: CUT.node })),
  )
  return folder
}
