import { Command, Option } from 'commander'
import { BACKEND_CHOICES } from '../core/backend.ts'
import { drawFilters, type FiltersOptions } from '../explain/filters.ts'
import { KERNEL_NAMES } from '../explain/kernels.ts'
import { displayPath } from '../paths.ts'

export function filtersCommand(): Command {
  return new Command('filters')
    .description(
      "See what a convolutional network sees: a photo in grey convolved with a kernel, side by side; with --model, the model's learned first-layer filters, one layer's feature maps for the photo and the heatmap of where it looked.",
    )
    .requiredOption('--image <photo>', 'a JPEG, PNG or WebP photo')
    .requiredOption('--out <dir>', 'where the PNG pictures go (created if missing)')
    .option(
      '--kernel <name|file.json>',
      `${KERNEL_NAMES.join(', ')}, or a JSON file holding rows of weights, e.g. [[0,1,0],[1,-4,1],[0,1,0]]`,
      'box3',
    )
    .option('--model <dir>', 'a model folder: also draw its filters, feature maps and heatmap')
    .option('--layer <node>', 'the graph node whose feature maps are drawn (default: the first convolution)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_CHOICES).default('wasm'))
    .action(async (flags: FiltersFlags) => {
      const pictures = await drawFilters(flags)
      for (const picture of pictures) console.log(`${displayPath(picture.path)}: ${picture.what}`)
    })
}

/** Commander hands the parsed flags over under the same names the pipeline takes. */
type FiltersFlags = FiltersOptions
