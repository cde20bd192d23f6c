import * as tf from '@tensorflow/tfjs-core'

export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'
export const BACKEND_CHOICES: readonly BackendChoice[] = [
  'auto',
  'tensorflow-gpu',
  'tensorflow',
  'wasm',
  'cpu',
]

export interface BackendReport {
  /** The tfjs backend now active. */
  backend: string
  /** Why each faster option was passed over. */
  skipped: { choice: BackendChoice; reason: string }[]
  /** What was done to the chosen backend beyond selecting it (e.g. training kernels registered). */
  notes: string[]
}

export type Concrete = Exclude<BackendChoice, 'auto'>

/** Each concrete choice: how to make it available and the tfjs backend name it registers. */
const SETUP: Record<Concrete, { load: () => Promise<unknown>; backend: string }> = {
  'tensorflow-gpu': { load: () => import('@tensorflow/tfjs-node-gpu' as string), backend: 'tensorflow' },
  tensorflow: { load: () => import('@tensorflow/tfjs-node' as string), backend: 'tensorflow' },
  wasm: { load: () => import('@tensorflow/tfjs-backend-wasm'), backend: 'wasm' },
  cpu: { load: () => import('@tensorflow/tfjs-backend-cpu'), backend: 'cpu' },
}

export class BackendUnavailableError extends Error {
  readonly code = 'BACKEND_UNAVAILABLE'
  constructor(choice: BackendChoice, reason: string) {
    super(`Backend "${choice}" is not available here: ${reason}`)
    this.name = 'BackendUnavailableError'
  }
}

/**
 * `auto` tries the native bindings first (GPU, then CPU), then wasm, then pure JS, and says why it skipped each.
 * On wasm it registers the training kernels tfjs-backend-wasm lacks (or runs slowly), so convolutions train at
 * XNNPACK speed there.
 */
export async function selectBackend(choice: BackendChoice): Promise<BackendReport> {
  const order: Concrete[] = choice === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [choice]
  const skipped: BackendReport['skipped'] = []
  for (const candidate of order) {
    const reason = await tryBackend(candidate)
    if (reason === undefined) return { backend: tf.getBackend(), skipped, notes: await prepare(candidate) }
    if (choice !== 'auto') throw new BackendUnavailableError(candidate, reason)
    skipped.push({ choice: candidate, reason })
  }
  throw new BackendUnavailableError(choice, 'no backend could be initialised')
}

/** Makes the chosen backend ready for training; returns what it did, for the report. */
async function prepare(choice: Concrete): Promise<string[]> {
  if (choice !== 'wasm') return []
  // Loaded only here: the module imports the wasm backend, which a native run has no use for.
  const { registerWasmTrainingKernels, wasmSimdKernels } = await import('@whisker/model-core/kernels')
  const { added, replaced } = registerWasmTrainingKernels()
  return [
    `wasm training kernels: added ${added.join(', ')}; replaced ${replaced.join(', ')}; Whisker's SIMD kernels: ${wasmSimdKernels() ?? 'none'}`,
  ]
}

export async function tryBackend(choice: Concrete): Promise<string | undefined> {
  const { load, backend } = SETUP[choice]
  try {
    await load()
    if (await tf.setBackend(backend)) return undefined
    return `${backend} failed to initialise`
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error)
    return message.includes('Cannot find') ? 'package not installed (optional dependency)' : message
  }
}
