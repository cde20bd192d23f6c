import { type Classifier, type GraphModelJson, loadClassifier, type ModelCard } from '@whisker/model-core'

/**
 * A real graph model, small enough to run a thousand times in a test: 8×8 RGB pixels → flatten → dense →
 * softmax over two labels, loaded through the same predictor (loadClassifier) and tfjs backend as the
 * bundled model. Darker photos lean `dark`, brighter ones `light`.
 */
const SIZE = 8
const FEATURES = SIZE * SIZE * 3

const float = { type: 'DT_FLOAT' }
const int32 = { type: 'DT_INT32' }
const shapeOf = (...dims: number[]) => ({ dim: dims.map((size) => ({ size: String(size) })) })
const constant = (name: string, dtype: { type: string }, ...dims: number[]) => ({
  name,
  op: 'Const',
  attr: { dtype, value: { tensor: { dtype: dtype.type, tensorShape: shapeOf(...dims) } } },
})

const modelJson: GraphModelJson = {
  format: 'graph-model',
  generatedBy: 'test/tiny-model.ts',
  convertedBy: 'hand',
  modelTopology: {
    node: [
      {
        name: 'pixels',
        op: 'Placeholder',
        attr: { dtype: float, shape: { shape: shapeOf(-1, SIZE, SIZE, 3) } },
      },
      constant('flat/shape', int32, 2),
      { name: 'flat', op: 'Reshape', input: ['pixels', 'flat/shape'], attr: { T: float, Tshape: int32 } },
      constant('dense/kernel', float, FEATURES, 2),
      constant('dense/bias', float, 2),
      {
        name: 'dense',
        op: 'MatMul',
        input: ['flat', 'dense/kernel'],
        attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
      },
      { name: 'logits', op: 'BiasAdd', input: ['dense', 'dense/bias'], attr: { T: float } },
      { name: 'probabilities', op: 'Softmax', input: ['logits'], attr: { T: float } },
    ],
    library: {},
    versions: { producer: 1 },
  },
  weightsManifest: [
    {
      paths: ['weights.bin'],
      weights: [
        { name: 'flat/shape', shape: [2], dtype: 'int32' },
        { name: 'dense/kernel', shape: [FEATURES, 2], dtype: 'float32' },
        { name: 'dense/bias', shape: [2], dtype: 'float32' },
      ],
    },
  ],
}

function weights(): ArrayBuffer {
  const shape = Int32Array.of(-1, FEATURES)
  const kernel = new Float32Array(FEATURES * 2)
  for (let i = 0; i < FEATURES; i++) {
    kernel[2 * i] = -1 / (FEATURES * 32) // dark
    kernel[2 * i + 1] = 1 / (FEATURES * 32) // light
  }
  const bias = Float32Array.of(2, -2) // a mean pixel value of 64 is a tie
  const out = new Uint8Array(shape.byteLength + kernel.byteLength + bias.byteLength)
  out.set(new Uint8Array(shape.buffer), 0)
  out.set(new Uint8Array(kernel.buffer), shape.byteLength)
  out.set(new Uint8Array(bias.buffer), shape.byteLength + kernel.byteLength)
  return out.buffer
}

const card: ModelCard = {
  schemaVersion: 1,
  name: 'tiny-dark-light',
  version: '0123456789abcdef',
  createdAt: '2026-01-01T00:00:00.000Z',
  labels: ['dark', 'light'],
  input: {
    shape: [SIZE, SIZE, 3],
    resize: { mode: 'stretch', size: SIZE, filter: 'bilinear' },
    normalization: { scale: 1, offset: 0 },
  },
  architecture: { kind: 'seed-cnn', head: 'dense(softmax)' },
  graph: { input: 'pixels', output: 'probabilities' },
  quantization: 'none',
  metrics: { valAccuracy: 1, valLogLoss: 0, valCount: 0 },
  training: {
    dataset: 'none',
    classCounts: {},
    trainCount: 0,
    valCount: 0,
    epochs: 0,
    seed: 0,
    wallSeconds: 0,
  },
}

export function loadTinyClassifier(): Promise<Classifier> {
  return loadClassifier({ modelJson, weights: weights(), card })
}
