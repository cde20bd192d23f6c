/** Universal entry: what every runtime (Node, workerd, browser) needs to serve a model. */
export { argmax } from './argmax.ts'
export {
  type GraphModelJson,
  type GraphNode,
  MODEL_FILES,
  type ModelArtifacts,
  type WeightSpec,
} from './artifacts.ts'
export {
  type Estimate,
  type ExplainSpec,
  type ExportFidelity,
  estimateSchema,
  explainSchema,
  exportFidelitySchema,
  InvalidModelCardError,
  type ModelCard,
  modelCardSchema,
  parseModelCard,
  type Quantization,
  quantizationSchema,
  resizePolicySchema,
} from './card.ts'
export {
  type ExplainNodes,
  ExplainUnsupportedError,
  findExplainNodes,
  GradientsMissingError,
  type Heatmap,
  heatColor,
  heatmapRows,
  pngDataUrl,
  type RgbaImage,
  renderHeatmap,
} from './explain/index.ts'
export {
  type Classification,
  type Classifier,
  type ClassifyOptions,
  type ExplainedInput,
  type ExplainOptions,
  type Explanation,
  loadClassifier,
  type Prediction,
  rank,
} from './predictor.ts'
