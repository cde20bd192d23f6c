import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { PreprocessError, type RgbImage } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'
import type { BackendChoice } from '../core/backend.ts'
import { percent } from '../core/format.ts'
import { openClassifier, readModelFolder } from '../core/model-dir.ts'
import { convolve, toDisplay, toGray } from './convolve.ts'
import { resolveKernel } from './kernels.ts'
import { featureMapGrid, filterGrid, firstConvolution } from './model-views.ts'
import { overlayPng } from './overlay.ts'
import { png, type Raster, tile } from './pictures.ts'

export interface FiltersOptions {
  image: string
  out: string
  /** A name from KERNELS or a JSON file (default box3). */
  kernel: string
  /** A model folder: adds its first-layer filters, one layer's feature maps and the heatmap. */
  model?: string
  /** The graph node whose feature maps are drawn (default: the first convolution). */
  layer?: string
  backend: BackendChoice
}

export interface Picture {
  path: string
  /** What it shows, in a few words, for the command's output. */
  what: string
}

/** A photo the command cannot read (a missing file, or one the decoder refuses). */
export class UnreadablePhotoError extends Error {
  readonly code = 'UNREADABLE_PHOTO'
  constructor(message: string) {
    super(message)
    this.name = 'UnreadablePhotoError'
  }
}

async function readPhoto(path: string): Promise<RgbImage> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new UnreadablePhotoError(
      `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    )
  }
  try {
    return await decodeImage(bytes)
  } catch (error) {
    if (error instanceof PreprocessError)
      throw new UnreadablePhotoError(`${path}: ${error.code}: ${error.message}`)
    throw error
  }
}

/** A layer name as part of a file name (`block_1_expand`, `head_output_logits`). */
const fileSafe = (name: string) => name.replace(/[^\w.-]+/g, '_')

/**
 * The tutorial's pictures for one photo, written into `out`:
 *
 *   convolution-<kernel>.png   the photo in grey, and the same convolved with the kernel, side by side
 *   filters-<node>.png         (--model) the first convolution's learned filters, as a grid
 *   feature-maps-<layer>.png   (--model) what that layer computes for the photo, one tile per channel
 *   heatmap.png                (--model) where the model looked for its answer, over the part it saw
 */
export async function drawFilters(options: FiltersOptions): Promise<Picture[]> {
  const photo = await readPhoto(resolve(options.image))
  const { name: kernelName, kernel } = await resolveKernel(options.kernel)
  const out = resolve(options.out)
  await mkdir(out, { recursive: true })
  const pictures: Picture[] = []
  const write = async (file: string, bytes: Uint8Array, what: string) => {
    const path = join(out, file)
    await writeFile(path, bytes)
    pictures.push({ path, what })
  }

  const gray = toGray(photo)
  const original: Raster = {
    width: gray.width,
    height: gray.height,
    channels: 1,
    data: Uint8Array.from(gray.data, (v) => Math.round(v)),
  }
  const result: Raster = { ...original, data: toDisplay(convolve(gray, kernel), kernel) }
  const size = `${kernel.length}×${kernel[0]!.length}`
  await write(
    `convolution-${fileSafe(kernelName)}.png`,
    await png(tile([original, result], 2, 8)),
    `${basename(options.image)} in grey and convolved with ${kernelName} (${size})`,
  )

  if (options.model !== undefined) {
    const artifacts = await readModelFolder(resolve(options.model))
    const { classifier } = await openClassifier(artifacts, options.backend) // selects the backend too
    try {
      const filters = filterGrid(artifacts)
      await write(
        `filters-${fileSafe(filters.node)}.png`,
        await png(filters.raster),
        `the ${filters.count} learned filters of ${filters.node}, the first convolution`,
      )
      const layer =
        options.layer ??
        firstConvolution(artifacts.modelJson.modelTopology.node, artifacts.card.graph.input)?.name ??
        filters.node
      const maps = await featureMapGrid(classifier, photo, layer)
      const [, h, w, c] = maps.shape
      await write(
        `feature-maps-${fileSafe(layer)}.png`,
        await png(maps.raster),
        `${maps.shown} of the ${c} feature maps (${h}×${w}) of ${layer} for this photo`,
      )
      if (classifier.explainNodes) {
        const { classification, heatmap } = await classifier.explain(photo)
        await write(
          'heatmap.png',
          await overlayPng(photo, heatmap, artifacts.card.input.resize),
          `where it looked (${heatmap.method}) for "${classification.label}", ${percent(classification.confidence, 1)} confident`,
        )
      }
    } finally {
      classifier.dispose()
    }
  }
  return pictures
}
