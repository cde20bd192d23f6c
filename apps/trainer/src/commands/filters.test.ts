import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MODEL_FILES, parseModelCard } from '@whisker/model-core'
import sharp from 'sharp'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { STACK_FRAME, whisker } from '../../test/support.ts'
import { firstConvolution } from '../explain/model-views.ts'
import { OVERLAY_SIZE } from '../explain/overlay.ts'
import { DEFAULTS } from '../paths.ts'

const model = inject('trainedModel')
const photo = join(DEFAULTS.data, 'cat.1.jpg')

describe('whisker filters', () => {
  let root = ''
  let size: { width: number; height: number }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'whisker-filters-'))
    const meta = await sharp(photo).rotate().metadata()
    size = { width: meta.autoOrient.width, height: meta.autoOrient.height }
  })

  it('draws the photo in grey beside its convolution with the kernel (box3 by default)', async () => {
    const out = join(root, 'plain')
    const { code, stdout, stderr } = await whisker('filters', '--image', photo, '--out', out)
    expect(code, stderr).toBe(0)
    expect(stdout).toContain(
      `${join(out, 'convolution-box3.png')}: cat.1.jpg in grey and convolved with box3 (3×3)`,
    )
    expect(await readdir(out)).toEqual(['convolution-box3.png'])
    const { data, info } = await sharp(join(out, 'convolution-box3.png'))
      .raw()
      .toBuffer({ resolveWithObject: true })
    // Two pictures the photo's size, 8 white pixels around and between them.
    expect([info.width, info.height]).toEqual([2 * size.width + 3 * 8, size.height + 2 * 8])
    // Grey: every pixel has r = g = b.
    for (let i = 0; i < data.length; i += info.channels * 97) expect(data[i]).toBe(data[i + 1])
  })

  it('with --model adds the first-layer filters, the feature maps of a layer and the heatmap', async () => {
    const out = join(root, 'model')
    const args = ['--image', photo, '--out', out, '--kernel', 'sobel-x', '--model', model]
    const { code, stdout, stderr } = await whisker('filters', ...args)
    expect(code, stderr).toBe(0)
    expect((await readdir(out)).sort()).toEqual([
      'convolution-sobel-x.png',
      'feature-maps-Conv1.png',
      'filters-Conv1.png',
      'heatmap.png',
    ])
    expect(stdout).toMatch(/filters-Conv1\.png: the 16 learned filters of Conv1, the first convolution/)
    expect(stdout).toMatch(
      /feature-maps-Conv1\.png: 16 of the 16 feature maps \(112×112\) of Conv1 for this photo/,
    )
    expect(stdout).toMatch(/heatmap\.png: where it looked \(grad-cam\) for "(cat|dog)", [\d.]+ % confident/)
    // 16 filters of 3×3 drawn 36 px, in rows of 8 with 4 px gaps: 8·36 + 9·4 by 2·36 + 3·4.
    expect(await dimensions(join(out, 'filters-Conv1.png'))).toEqual([324, 84])
    expect(await dimensions(join(out, 'feature-maps-Conv1.png'))).toEqual([8 * 112 + 9 * 4, 2 * 112 + 3 * 4])
    expect(await dimensions(join(out, 'heatmap.png'))).toEqual([OVERLAY_SIZE, OVERLAY_SIZE])
  })

  it('with --layer draws that layer: the 7×7 maps Grad-CAM reads, enlarged, 32 of them at most', async () => {
    const out = join(root, 'layer')
    const args = ['--image', photo, '--out', out, '--model', model, '--layer', 'Conv_1']
    const { code, stdout, stderr } = await whisker('filters', ...args)
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/feature-maps-Conv_1\.png: 32 of the 1280 feature maps \(7×7\) of Conv_1/)
    expect(await dimensions(join(out, 'feature-maps-Conv_1.png'))).toEqual([8 * 56 + 9 * 4, 4 * 56 + 5 * 4])
  })

  it('reads a kernel from a JSON file', async () => {
    const out = join(root, 'json')
    const file = join(root, 'emboss.json')
    await writeFile(
      file,
      JSON.stringify({
        kernel: [
          [-2, -1, 0],
          [-1, 1, 1],
          [0, 1, 2],
        ],
      }),
    )
    const { code, stdout, stderr } = await whisker(
      'filters',
      '--image',
      photo,
      '--out',
      out,
      '--kernel',
      file,
    )
    expect(code, stderr).toBe(0)
    expect(stdout).toContain('convolved with emboss (3×3)')
  })

  it.each([
    ['an unknown kernel', ['--kernel', 'blur'], /Unknown kernel "blur": use one of .* \[INVALID_KERNEL\]/],
    [
      'a missing photo',
      ['--image', '/nonexistent/cat.jpg'],
      /Cannot read \/nonexistent\/cat\.jpg: ENOENT \[UNREADABLE_PHOTO\]/,
    ],
    [
      'a layer the model lacks',
      ['--model', model, '--layer', 'nope'],
      /Cannot read layer "nope" .*\[UNKNOWN_LAYER\]/,
    ],
    [
      'a layer that is not a feature map',
      ['--model', model, '--layer', 'embedding'],
      /"embedding" is not a feature map .*\[UNKNOWN_LAYER\]/,
    ],
  ])('refuses %s with a message and no stack trace', async (_, flags, message) => {
    const { code, stderr } = await whisker(
      'filters',
      '--image',
      photo,
      '--out',
      join(root, 'refused'),
      ...flags,
    )
    expect(code).toBe(1)
    expect(stderr).toMatch(message)
    expect(stderr).not.toMatch(STACK_FRAME)
  })
})

describe('the model card written by whisker train', () => {
  it('says how heatmaps are made: Grad-CAM from Conv_1 (7×7) to the logits', async () => {
    const card = parseModelCard(JSON.parse(await readFile(join(model, MODEL_FILES.card), 'utf8')))
    expect(card.explain).toEqual({
      method: 'grad-cam',
      featureNode: 'Conv_1',
      scoreNode: 'head_output/logits',
      grid: [7, 7],
    })
  })
})

describe('firstConvolution', () => {
  it('finds the convolution nearest the input whatever the node order', () => {
    const nodes = [
      { name: 'late', op: '_FusedConv2D', input: ['early', 'k2', 'b2'] },
      { name: 'probabilities', op: 'Softmax', input: ['late'] },
      { name: 'early', op: 'Conv2D', input: ['pixels/normalized', 'k1'] },
      { name: 'pixels/normalized', op: 'AddV2', input: ['pixels/scaled', 'offset'] },
      { name: 'pixels/scaled', op: 'Mul', input: ['pixels', 'scale'] },
      { name: 'pixels', op: 'Placeholder' },
    ]
    expect(firstConvolution(nodes, 'pixels')?.name).toBe('early')
    expect(firstConvolution(nodes.slice(0, 2), 'pixels')).toBeUndefined()
  })
})

async function dimensions(path: string): Promise<[number, number]> {
  const meta = await sharp(path).metadata()
  return [meta.width, meta.height]
}
