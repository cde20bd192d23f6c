export {
  DEFAULT_MAX_BODY_BYTES,
  HEATMAP_PNG_SIZE,
  MAX_IMAGES_PER_REQUEST,
  mebibytes,
  megapixels,
  WORKER_MAX_PIXELS,
} from './limits.ts'
export {
  IMAGE_PROBLEMS,
  type ImageProblemCode,
  type ImageProblemStatus,
  isImageProblemCode,
  PROBLEM_CODES,
  type ProblemCode,
} from './problems.ts'
export {
  CLASSIFICATION_EXAMPLE,
  type Classification,
  ClassificationBatchSchema,
  ClassificationSchema,
  type Explanation,
  ExplanationSchema,
  type Health,
  HealthSchema,
  type ModelCard,
  ModelCardSchema,
  type Prediction,
  PredictionSchema,
  type Problem,
  ProblemSchema,
} from './schemas.ts'
