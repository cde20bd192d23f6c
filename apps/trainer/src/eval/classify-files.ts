import { readFile } from 'node:fs/promises'
import type { Classifier, Heatmap } from '@whisker/model-core'
import { PreprocessError, type RgbImage, toModelInput } from '@whisker/preprocess'
import { decodeImage } from '@whisker/preprocess/node'

export interface PhotoFile {
  path: string
  /** Name relative to the folder, for messages. */
  name: string
}

export interface Unreadable {
  name: string
  reason: string
}

export interface ClassifiedFiles<F extends PhotoFile> {
  /** The readable files, in input order, with their class probabilities (label order). */
  classified: { file: F; probabilities: Float32Array }[]
  /** Files that could not be read or decoded, in input order. */
  unreadable: (Unreadable & { file: F })[]
}

/**
 * Reads, decodes (sharp, with the preprocess guards and EXIF orientation) and classifies photos in
 * batches through the one predictor. A photo the decoder refuses, or a file that cannot be read, is
 * set aside with the reason instead of stopping the run.
 */
export async function classifyFiles<F extends PhotoFile>(
  classifier: Classifier,
  files: readonly F[],
  options: {
    batchSize: number
    onProgress?: (done: number) => void
    /**
     * Also explain each answer: the heatmap of its top class comes from the same forward pass
     * (Classifier.explainInputs), and is handed over with the decoded photo, e.g. to draw an overlay.
     */
    onExplained?: (file: F, image: RgbImage, heatmap: Heatmap) => Promise<void>
  },
): Promise<ClassifiedFiles<F>> {
  const policy = classifier.card.input.resize
  const length = policy.size * policy.size * 3
  const result: ClassifiedFiles<F> = { classified: [], unreadable: [] }
  for (let start = 0; start < files.length; start += options.batchSize) {
    const batch = files.slice(start, start + options.batchSize)
    const inputs = await Promise.all(
      batch.map(async (file) => {
        try {
          const image = await decodeImage(await readFile(file.path))
          return { image: options.onExplained ? image : undefined, input: toModelInput(image, policy) }
        } catch (error) {
          const reason = unreadableReason(error)
          if (reason === undefined) throw error
          return reason
        }
      }),
    )
    const readable: { file: F; input: Float32Array; image: RgbImage | undefined }[] = []
    batch.forEach((file, i) => {
      const decoded = inputs[i]!
      if (typeof decoded === 'string') result.unreadable.push({ file, name: file.name, reason: decoded })
      else readable.push({ file, ...decoded })
    })
    if (readable.length > 0) {
      const pixels = new Float32Array(readable.length * length)
      readable.forEach((r, i) => {
        pixels.set(r.input, i * length)
      })
      const { onExplained } = options
      if (onExplained) {
        const explained = await classifier.explainInputs(pixels, readable.length)
        for (const [i, r] of readable.entries()) {
          result.classified.push({ file: r.file, probabilities: explained[i]!.probabilities })
          await onExplained(r.file, r.image!, explained[i]!.heatmap)
        }
      } else {
        const probabilities = await classifier.probabilitiesOfInputs(pixels, readable.length)
        readable.forEach((r, i) => {
          result.classified.push({ file: r.file, probabilities: probabilities[i]! })
        })
      }
    }
    options.onProgress?.(start + batch.length)
  }
  return result
}

/** Why a file is unreadable, or undefined for an error that is a bug rather than a bad file. */
function unreadableReason(error: unknown): string | undefined {
  if (error instanceof PreprocessError) return `${error.code}: ${error.message}`
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `cannot read the file (${code})`
  return undefined
}
