import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'

/** Every module specifier imported by `file` and, through relative imports, by the files it reaches. */
function importGraph(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen
  const source = readFileSync(file, 'utf8')
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b(?:[^'"]*?from\s+)?'([^']+)'/gm)].map(
    (m) => m[1]!,
  )
  seen.set(file, specifiers)
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) importGraph(join(dirname(file), specifier), seen)
  }
  return seen
}

const packagesOf = (graph: Map<string, string[]>) =>
  new Set([...graph.values()].flat().filter((s) => !s.startsWith('.')))

describe('the entry points', () => {
  it('keep the universal entry free of Node built-ins, tfjs-layers and the training code', () => {
    const graph = importGraph(join(import.meta.dirname, 'index.ts'))
    expect([...packagesOf(graph)].sort()).toEqual([
      '@tensorflow/tfjs-converter',
      '@tensorflow/tfjs-core',
      '@whisker/preprocess',
      'zod/mini',
    ])
    expect([...graph.keys()].filter((f) => /architectures|export|model-dir|training/.test(f))).toEqual([])
  })

  it('export what the README documents', async () => {
    const universal = await import('./index.ts')
    expect(Object.keys(universal).sort()).toEqual(
      [
        'argmax',
        'ExplainUnsupportedError',
        'GradientsMissingError',
        'estimateSchema',
        'exportFidelitySchema',
        'InvalidModelCardError',
        'MODEL_FILES',
        'explainSchema',
        'findExplainNodes',
        'heatColor',
        'heatmapRows',
        'loadClassifier',
        'pngDataUrl',
        'renderHeatmap',
        'modelCardSchema',
        'parseModelCard',
        'quantizationSchema',
        'rank',
        'resizePolicySchema',
      ].sort(),
    )
    const training = await import('./training.ts')
    expect(Object.keys(training).sort()).toEqual(
      [
        'writeAtomically',
        'writeFolderAtomically',
        'BACKBONE_SPEC_FILE',
        'BACKBONES',
        'BackboneNotFoundError',
        'InvalidBackboneSpecError',
        'backboneSpecSchema',
        'parseBackboneSpec',
        'DEFAULT_BACKBONE',
        'DEFAULT_HEAD',
        'InvalidFineTuneDepthError',
        'TimeDecaySgd',
        'WarmupCosineAdam',
        'UnknownBackboneError',
        'UnsupportedLayerError',
        'assembleTransferModel',
        'autoQuantize',
        'DEFAULT_OUTPUT_BUDGET',
        'outputChange',
        'withinBudget',
        'backboneSpec',
        'buildSeedCnn',
        'buildHead',
        'contentVersion',
        'convertLayersModel',
        'createEmbedder',
        'createTrunkEmbedder',
        'embeddingModel',
        'encodeTensor',
        'exportGraphModel',
        'fineTuneDepths',
        'isBackboneName',
        'isQuantizable',
        'loadBackbone',
        'loadAnyBackbone',
        'requireLayers',
        'transferGraph',
        'FeatureNodeNotFoundError',
        'UnsupportedGraphError',
        'GraphBackboneNotTrainableError',
        'readGraph',
        'readModelDir',
        'SEED_CNN_INPUT',
        'serializeGraph',
        'setDropoutStep',
        'splitBackbone',
        'steppedDropout',
        'toFloat16Bits',
        'uint8ChannelError',
        'writeModelDir',
      ].sort(),
    )
  })

  it('name every export of the entries in the README', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
    const exported = [
      ...Object.keys(await import('./index.ts')),
      ...Object.keys(await import('./training.ts')),
      ...Object.keys(await import('./kernels/index.ts')),
    ]
    expect(exported.filter((name) => !new RegExp(`\\b${name}\\b`).test(readme))).toEqual([])
  })

  it('state the quantization kinds the card accepts, as the README lists them', async () => {
    const { quantizationSchema } = await import('./index.ts')
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
    const stated = /^type Quantization = (.+?)(?:\s*\/\/.*)?$/m.exec(readme)?.[1]
    expect(stated?.split(' | ')).toEqual(quantizationSchema.options.map((kind) => `'${kind}'`))
  })
})
