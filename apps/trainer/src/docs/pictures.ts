#!/usr/bin/env node
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { decodeImage } from '@whisker/preprocess/node'
/**
 * Makes the pictures of docs/understanding-convnets.md (`npm run docs:pictures` at the repository root).
 *
 *   docs/images/convnets/   committed: drawn by Whisker itself (scenes.ts, CC0 1.0) and what the
 *                           model makes of those drawings; nothing from anyone's photos
 *   docs/generated/         git-ignored: the same pictures for photos of ../shared (the Kaggle photos
 *                           may not be re-published), one folder per photo
 *
 * Flags: --model DIR (default apps/edge-api/model, written by `npm run train`; without one, only the
 * convolution pictures are made), --data DIR (default WHISKER_DATA or ../shared's training photos),
 * --photos a,b (default cat.1.jpg,dog.1.jpg), --skip-generated.
 */
import { percent } from '../core/format.ts'
import { openClassifier, readModelFolder } from '../core/model-dir.ts'
import { convolve, toDisplay, toGray } from '../explain/convolve.ts'
import { drawFilters } from '../explain/filters.ts'
import { KERNEL_NAMES, KERNELS } from '../explain/kernels.ts'
import { featureMapGrid, filterGrid } from '../explain/model-views.ts'
import { overlayPng } from '../explain/overlay.ts'
import { png, type Raster, tile } from '../explain/pictures.ts'
import { DEFAULTS, REPO_ROOT } from '../paths.ts'
import { CAT_SVG, renderSvg, SHAPES_SVG } from './scenes.ts'

const { values: flags } = parseArgs({
  options: {
    model: { type: 'string', default: DEFAULTS.out },
    data: { type: 'string', default: DEFAULTS.data },
    photos: { type: 'string', default: 'cat.1.jpg,dog.1.jpg' },
    'skip-generated': { type: 'boolean', default: false },
  },
})

const IMAGES = join(REPO_ROOT, 'docs', 'images', 'convnets')
const GENERATED = join(REPO_ROOT, 'docs', 'generated')
/** A layer halfway down MobileNetV2 (28 × 28): textures and parts rather than edges. */
const MIDDLE_LAYER = 'block_6_expand'

const written: string[] = []
async function save(dir: string, file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, file), bytes)
  written.push(relative(REPO_ROOT, join(dir, file)))
}

// 1. The drawings and their convolutions: no model needed.
await save(IMAGES, 'shapes.png', await renderSvg(SHAPES_SVG))
await save(IMAGES, 'cat-drawing.png', await renderSvg(CAT_SVG))
const shapes = await decodeImage(await renderSvg(SHAPES_SVG))
const gray = toGray(shapes)
const original: Raster = { ...gray, channels: 1, data: Uint8Array.from(gray.data, Math.round) }
for (const name of KERNEL_NAMES) {
  const kernel = KERNELS[name]
  const result: Raster = { ...original, data: toDisplay(convolve(gray, kernel), kernel) }
  await save(IMAGES, `convolution-${name}.png`, await png(tile([original, result], 2, 8)))
}

// 2. What a trained model makes of them: its first-layer filters, feature maps, a heatmap.
const modelDir = flags.model
if (existsSync(join(modelDir, 'card.json'))) {
  const artifacts = await readModelFolder(modelDir)
  const { classifier } = await openClassifier(artifacts, 'wasm')
  try {
    const filters = filterGrid(artifacts)
    await save(IMAGES, `filters-${filters.node}.png`, await png(filters.raster))
    const early = await featureMapGrid(classifier, shapes, filters.node)
    await save(IMAGES, `feature-maps-${filters.node}.png`, await png(early.raster))
    const cat = await decodeImage(await renderSvg(CAT_SVG))
    const middle = await featureMapGrid(classifier, cat, MIDDLE_LAYER)
    await save(IMAGES, `cat-drawing-feature-maps-${MIDDLE_LAYER}.png`, await png(middle.raster))
    const last = classifier.explainNodes?.featureNode
    if (last) {
      const maps = await featureMapGrid(classifier, cat, last)
      await save(IMAGES, `cat-drawing-feature-maps-${last}.png`, await png(maps.raster))
    }
    const { classification, heatmap } = await classifier.explain(cat)
    await save(IMAGES, 'cat-drawing-heatmap.png', await overlayPng(cat, heatmap, artifacts.card.input.resize))
    console.log(
      `model ${artifacts.card.version} (${modelDir}): the cat drawing is "${classification.label}", ` +
        `${percent(classification.confidence, 1)} (${heatmap.method})`,
    )
  } finally {
    classifier.dispose()
  }
} else {
  console.warn(
    `No model in ${modelDir} (npm run train): skipped the filter, feature-map and heatmap pictures.`,
  )
}

// 3. The same for real photos, into the git-ignored folder.
if (!flags['skip-generated']) {
  for (const name of (flags.photos ?? '').split(',').filter(Boolean)) {
    const photo = join(flags.data, name)
    if (!existsSync(photo)) {
      console.warn(`No photo ${photo}: skipped.`)
      continue
    }
    const out = join(GENERATED, name.replace(/\.[^.]+$/, ''))
    for (const kernel of KERNEL_NAMES) {
      const withModel = kernel === 'sobel-x' && existsSync(join(modelDir, 'card.json'))
      const pictures = await drawFilters({
        image: photo,
        out,
        kernel,
        backend: 'wasm',
        ...(withModel && { model: modelDir }),
      })
      written.push(...pictures.map((p) => relative(REPO_ROOT, p.path)))
    }
  }
}

console.log(written.join('\n'))
