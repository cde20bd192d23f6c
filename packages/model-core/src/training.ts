/** Node-only entry for the trainer: architectures, backbone loading, export, model folders. */
export {
  BACKBONE_SPEC_FILE,
  BACKBONES,
  type BackboneName,
  type BackboneSpec,
  backboneSpec,
  backboneSpecSchema,
  DEFAULT_BACKBONE,
  InvalidBackboneSpecError,
  isBackboneName,
  parseBackboneSpec,
  UnknownBackboneError,
} from './architectures/backbones.ts'
export { type SteppedDropoutOptions, setDropoutStep, steppedDropout } from './architectures/dropout.ts'
export { createEmbedder, type Embedder } from './architectures/embedder.ts'
export {
  type BackboneSplit,
  createTrunkEmbedder,
  fineTuneDepths,
  InvalidFineTuneDepthError,
  splitBackbone,
} from './architectures/fine-tune.ts'
export {
  FeatureNodeNotFoundError,
  type GraphBackbone,
  UnsupportedGraphError,
} from './architectures/graph-backbone.ts'
export {
  type AnyBackbone,
  BackboneNotFoundError,
  type BackboneSource,
  GraphBackboneNotTrainableError,
  type LoadedBackbone,
  loadAnyBackbone,
  loadBackbone,
  requireLayers,
} from './architectures/load-backbone.ts'
export {
  type ScheduledOptimizer,
  TimeDecaySgd,
  WarmupCosineAdam,
  type WarmupCosineOptions,
} from './architectures/schedules.ts'
export { buildSeedCnn, SEED_CNN_INPUT, type SeedCnnOptions } from './architectures/seed-cnn.ts'
export { transferGraph } from './architectures/served-graph.ts'
export {
  assembleTransferModel,
  buildHead,
  DEFAULT_HEAD,
  embeddingModel,
  type HeadOptions,
} from './architectures/transfer.ts'
export * from './export/index.ts'
export { readModelDir, writeModelDir } from './model-dir.ts'
export { writeAtomically, writeFolderAtomically } from './write-atomically.ts'
