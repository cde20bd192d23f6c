import type { PreprocessErrorCode } from '@whisker/preprocess'

/**
 * Every error code the API can answer with; `code` is the stable, machine-readable part of a problem. The
 * first five are @whisker/preprocess's (IMAGE_PROBLEMS maps each to a status, so tsc fails if that package
 * adds one).
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

/** A 4xx status with content, as the Worker answers image problems. */
export type ImageProblemStatus = 400 | 413 | 415 | 422

/**
 * How each image problem found by @whisker/preprocess maps to HTTP: always a 4xx, it is the client's image.
 * The page gives a photo refused on the device the same status, so it reads the same either way.
 */
export const IMAGE_PROBLEMS: Readonly<
  Record<ImageProblemCode, { readonly status: ImageProblemStatus; readonly title: string }>
> = {
  EMPTY_IMAGE: { status: 400, title: 'Empty image' },
  CORRUPT_IMAGE: { status: 400, title: 'Corrupt image' },
  UNSUPPORTED_TYPE: { status: 415, title: 'Unsupported image type' },
  TOO_MANY_BYTES: { status: 413, title: 'Image too large' },
  TOO_MANY_PIXELS: { status: 422, title: 'Too many pixels' },
}

/** The codes of the problems an image itself can have (@whisker/preprocess's), as the Worker answers them. */
export type ImageProblemCode = PreprocessErrorCode

/** A code of an image problem (@whisker/preprocess's), e.g. from an error thrown while decoding. */
export const isImageProblemCode = (code: unknown): code is ImageProblemCode =>
  typeof code === 'string' && Object.hasOwn(IMAGE_PROBLEMS, code)
