// The plain values (limits, problem codes), also importable alone from '@whisker/api-contract/plain'.

/** model-core's whole, valid card: the document's example of a ModelCard. */
export { MODEL_CARD_EXAMPLE } from '@whisker/model-core/card'
export { type ComponentSchema, componentRef, componentSchemas } from './openapi.ts'
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
