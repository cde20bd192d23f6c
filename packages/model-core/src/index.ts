/** Universal entry: what every runtime (Node, workerd, browser) needs to serve a model. */
export {
  type GraphModelJson,
  type GraphNode,
  MODEL_FILES,
  type ModelArtifacts,
  type WeightSpec,
} from './artifacts.ts'
export {
  InvalidModelCardError,
  type ModelCard,
  modelCardSchema,
  parseModelCard,
  type Quantization,
  quantizationSchema,
  resizePolicySchema,
} from './card.ts'
export {
  type Classification,
  type Classifier,
  type ClassifyOptions,
  loadClassifier,
  type Prediction,
  rank,
} from './predictor.ts'
