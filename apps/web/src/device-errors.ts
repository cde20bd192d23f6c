import { IMAGE_PROBLEMS, isImageProblemCode } from '@whisker/api-contract/plain'
import type { ApiError } from './api.ts'

/**
 * An error thrown while classifying on this device, as the same {@link ApiError} the Worker would have
 * produced: @whisker/preprocess errors carry the Worker's `code`s, and the status is the one the Worker
 * answers that code with, so a photo gets the same words either way. Anything else means the model itself
 * could not run here.
 */
export function deviceProblem(error: unknown): ApiError {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  if (isImageProblemCode(code)) return { kind: 'problem', status: IMAGE_PROBLEMS[code].status, code }
  return { kind: 'device', reason: error instanceof Error ? error.message : String(error) }
}
