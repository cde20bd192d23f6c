import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type Classifier, loadClassifier, MODEL_FILES, type ModelArtifacts } from '@whisker/model-core'
import { readModelDir } from '@whisker/model-core/training'
import { type BackendChoice, selectBackend } from './backend.ts'

/** A --model folder that is missing or not a usable model (the CLI prints the message, not a stack). */
export class ModelDirError extends Error {
  readonly code: 'MODEL_NOT_FOUND' | 'MODEL_INVALID'
  constructor(code: 'MODEL_NOT_FOUND' | 'MODEL_INVALID', message: string) {
    super(message)
    this.name = 'ModelDirError'
    this.code = code
  }
}

/**
 * Reads and validates a model folder (model.json, weights.bin, card.json) before any tfjs is loaded,
 * naming what is wrong: no folder, a missing file, unparsable JSON or an invalid card.
 */
export async function readModelFolder(dir: string): Promise<ModelArtifacts> {
  const folder = await stat(dir).catch(() => undefined)
  if (!folder?.isDirectory()) {
    throw new ModelDirError(
      'MODEL_NOT_FOUND',
      `No model folder at ${dir} (train one with: whisker train --out ${dir})`,
    )
  }
  for (const file of Object.values(MODEL_FILES)) {
    if (!(await stat(join(dir, file)).catch(() => undefined))?.isFile())
      throw new ModelDirError('MODEL_INVALID', `${dir} is not a model folder: ${file} is missing`)
  }
  try {
    return await readModelDir(dir)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new ModelDirError('MODEL_INVALID', `${dir} holds an unusable model: ${message}`)
  }
}

export interface OpenedModel {
  classifier: Classifier
  /** The tfjs backend it runs on. */
  backend: string
}

/** Selects the tfjs backend and builds the one predictor the Worker also uses. */
export async function openClassifier(
  artifacts: ModelArtifacts,
  backend: BackendChoice,
): Promise<OpenedModel> {
  const selected = await selectBackend(backend)
  try {
    return { classifier: await loadClassifier(artifacts), backend: selected.backend }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new ModelDirError('MODEL_INVALID', `The model graph could not be loaded: ${message}`)
  }
}
