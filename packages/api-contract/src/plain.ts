/**
 * The contract's plain values (limits, problem codes and their statuses) without the schemas: no zod, so
 * the page's first download can use them without carrying a schema library.
 */
export {
  DEFAULT_MAX_BODY_BYTES,
  HEATMAP_PNG_SIZE,
  MAX_IMAGES_PER_REQUEST,
  mebibytes,
  megapixels,
  WORKER_MAX_PIXELS,
  WORKER_MAX_UNSCALED_PIXELS,
} from './limits.ts'
export {
  IMAGE_PROBLEMS,
  type ImageProblemCode,
  type ImageProblemStatus,
  isImageProblemCode,
  PROBLEM_CODES,
  type ProblemCode,
} from './problems.ts'
