// The plain values (limits, problem codes), also importable alone from '@whisker/api-contract/plain'.
export * from './plain.ts'
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
