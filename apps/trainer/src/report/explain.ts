import { readFile } from 'node:fs/promises'
import { decodeImage } from '@whisker/preprocess/node'
import { openClassifier, readModelFolder } from '../core/model-dir.ts'
import { overlay } from '../explain/overlay.ts'

/** Draws, for the report's mistakes, where the exported model looked when it chose the wrong class. */
export interface MistakeExplainer {
  /** The card's method: `grad-cam` or `cam`. */
  readonly method: string
  /**
   * The photo's model view (its crop) with the heatmap of class `classIndex`, as a JPEG data URL of
   * `size` pixels; undefined when the photo cannot be read.
   */
  overlay(path: string, classIndex: number, size: number): Promise<string | undefined>
  dispose(): void
}

/**
 * Opens the run's exported model for heatmaps, on wasm (the Worker's numbers). Undefined when the folder
 * is incomplete or the model cannot explain itself: the report then shows the photos alone.
 */
export async function openMistakeExplainer(modelDir: string): Promise<MistakeExplainer | undefined> {
  let artifacts: Awaited<ReturnType<typeof readModelFolder>>
  try {
    artifacts = await readModelFolder(modelDir)
  } catch {
    return undefined
  }
  const { classifier } = await openClassifier(artifacts, 'wasm')
  const method = classifier.explainNodes?.method
  if (!method) {
    classifier.dispose()
    return undefined
  }
  return {
    method,
    async overlay(path, classIndex, size) {
      let image: Awaited<ReturnType<typeof decodeImage>>
      try {
        image = await decodeImage(await readFile(path))
      } catch {
        return undefined
      }
      const { heatmap } = await classifier.explain(image, { classIndex })
      const jpeg = await overlay(image, heatmap, artifacts.card.input.resize, size)
        .jpeg({ quality: 80 })
        .toBuffer()
      return `data:image/jpeg;base64,${jpeg.toString('base64')}`
    },
    dispose: () => classifier.dispose(),
  }
}
