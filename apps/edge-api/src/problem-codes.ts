/**
 * Every error code the API can answer with; `code` is the stable, machine-readable part of a problem. The
 * first five are @whisker/preprocess's (errors.ts maps each to a status, so tsc fails if that package adds one).
 */
export const PROBLEM_CODES = [
  'EMPTY_IMAGE',
  'CORRUPT_IMAGE',
  'UNSUPPORTED_TYPE',
  'TOO_MANY_BYTES',
  'TOO_MANY_PIXELS',
  'INVALID_QUERY',
  'INVALID_MULTIPART',
  'UNEXPECTED_FIELD',
  'MISSING_IMAGE',
  'TOO_MANY_IMAGES',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'RATE_LIMITED',
  'HTTP_ERROR',
  'INTERNAL',
] as const

export type ProblemCode = (typeof PROBLEM_CODES)[number]
