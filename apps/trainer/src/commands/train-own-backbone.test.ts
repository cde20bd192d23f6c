import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CUT, cutSpec, writeGraphBackbone, writeLayersBackbone } from '@whisker/model-core/testing'
import { toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { STACK_FRAME, unseenPhotos, whisker } from '../../test/support.ts'
import { selectBackend } from '../core/backend.ts'
import { openClassifier, readModelFolder } from '../core/model-dir.ts'
import { DEFAULTS } from '../paths.ts'

/** Photos per class: enough for 5 folds, few enough to keep two runs in CI's budget. */
const PER_CLASS = '16'
let scratch: string
let layersFolder: string
let graphFolder: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'whisker-own-backbone-'))
  await selectBackend('wasm')
  // A user's network, made from MobileNetV2 α0.35 in ../shared/models: the same weights as a layers folder
  // and as a graph folder (the graph runs past its feature node, so loading must cut it).
  layersFolder = await writeLayersBackbone(join(scratch, 'pet-net-layers'))
  graphFolder = await writeGraphBackbone(join(scratch, 'pet-net-graph'))
})

/** Served probabilities of the model in `dir` for `names` from the shared photos, one row per photo. */
async function answers(dir: string, names: string[]): Promise<number[][]> {
  const artifacts = await readModelFolder(dir)
  const { classifier } = await openClassifier(artifacts, 'wasm')
  const rows: number[][] = []
  for (const name of names) {
    const image = await decodeImage(await readFile(join(DEFAULTS.data, name)))
    const [probabilities] = await classifier.probabilitiesOfInputs(
      toModelInput(image, artifacts.card.input.resize),
      1,
    )
    rows.push([...probabilities!])
  }
  return rows
}

describe('whisker train --backbone <a folder of the user’s own>', () => {
  it('trains on a tfjs graph-model backbone as on the same network stored as layers: the served models answer alike', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'whisker-cache-'))
    const train = async (backbone: string) => {
      const out = join(await mkdtemp(join(scratch, 'out-')), 'model')
      const args = ['--data', DEFAULTS.data, '--limit-per-class', PER_CLASS, '--epochs', '10']
      const result = await whisker(
        'train',
        ...args,
        '--backbone',
        backbone,
        '--cache-dir',
        cacheDir,
        '--out',
        out,
      )
      expect(result.stderr).not.toMatch(STACK_FRAME)
      expect(result.code).toBe(0)
      return { out, ...result }
    }
    const layers = await train(layersFolder)
    const graph = await train(graphFolder)
    expect(graph.stderr).toMatch(/backbone: pet-net \(graph model\) from /)
    expect(layers.stderr).toMatch(/backbone: pet-net \(layers model\) from /)

    const photos = [
      ...(await unseenPhotos(graph.out, 'cat', 3)),
      ...(await unseenPhotos(graph.out, 'dog', 3)),
    ]
    const expected = await answers(layers.out, photos)
    const actual = await answers(graph.out, photos)
    for (const [i, row] of actual.entries()) {
      for (const [c, p] of row.entries()) expect(p).toBeCloseTo(expected[i]![c]!, 3)
    }
    // Both exports went through `auto` quantization and carry the card's estimate.
    const card = (await readModelFolder(graph.out)).card
    expect(card.quantization).toBe('auto')
    expect(card.architecture.backbone).toBe('pet-net')
    expect(card.estimate?.count).toBe(2 * Number(PER_CLASS))
    expect(card.explain?.featureNode).toBe(`backbone/${CUT.node}`)
  })

  it('refuses --fine-tune on a graph backbone before embedding anything (GRAPH_BACKBONE_NOT_TRAINABLE)', async () => {
    const out = join(scratch, 'never')
    const args = ['--limit-per-class', '5', '--fine-tune', '11', '--backbone', graphFolder, '--out', out]
    const result = await whisker('train', ...args)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/carries no trainable layers.*\[GRAPH_BACKBONE_NOT_TRAINABLE\]/)
    expect(result.stderr).not.toMatch(/"stage":"embed/)
    expect(result.stderr).not.toMatch(STACK_FRAME)
  })

  it('refuses a feature node its graph lacks, naming the nearest nodes (FEATURE_NODE_NOT_FOUND)', async () => {
    const folder = await writeGraphBackbone(join(scratch, 'typo'), {
      spec: cutSpec({ featureLayer: 'block_13_expnd' }),
    })
    const result = await whisker(
      'train',
      '--limit-per-class',
      '5',
      '--backbone',
      folder,
      '--out',
      join(scratch, 'never'),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/Nearest names: block_13_expand,.*\[FEATURE_NODE_NOT_FOUND\]/)
    expect(result.stderr).not.toMatch(STACK_FRAME)
  })
})
