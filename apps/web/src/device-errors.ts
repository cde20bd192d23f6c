import type { ApiError, ProblemCode } from './api.ts'

/** The HTTP status the Worker answers each decoding problem with (apps/edge-api/README.md). */
const STATUS: Readonly<Record<ProblemCode, number>> = {
  EMPTY_IMAGE: 400,
  CORRUPT_IMAGE: 400,
  TOO_MANY_BYTES: 413,
  UNSUPPORTED_TYPE: 415,
  TOO_MANY_PIXELS: 422,
}

const isProblemCode = (code: unknown): code is ProblemCode =>
  typeof code === 'string' && Object.hasOwn(STATUS, code)

/**
 * An error thrown while classifying on this device, as the same {@link ApiError} the Worker would have
 * produced: @whisker/preprocess errors carry the Worker's `code`s, so a photo gets the same words either
 * way. Anything else means the model itself could not run here.
 */
export function deviceProblem(error: unknown): ApiError {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  if (isProblemCode(code)) return { kind: 'problem', status: STATUS[code], code }
  return { kind: 'device', reason: error instanceof Error ? error.message : String(error) }
}
