import type { ModelCard } from '../card.ts'

/** A complete, valid model card for a two-class 224-pixel transfer model; tests override what they need. */
export function validCard(): ModelCard {
  return {
    schemaVersion: 1,
    name: 'whisker-cat-dog',
    version: '0123456789abcdef',
    createdAt: '2025-01-02T03:04:05.000Z',
    labels: ['cat', 'dog'],
    input: {
      shape: [224, 224, 3],
      resize: { mode: 'center-crop', size: 224, filter: 'bilinear' },
      normalization: { scale: 1 / 127.5, offset: -1 },
    },
    architecture: { kind: 'transfer', backbone: 'mobilenet_v2_0.35', head: 'dense(softmax)' },
    graph: { input: 'pixels', output: 'probabilities' },
    quantization: 'float16',
    metrics: { valAccuracy: 0.95, valLogLoss: 0.12, valCount: 600 },
    training: {
      dataset: 'dogs-vs-cats',
      classCounts: { cat: 1200, dog: 1200 },
      trainCount: 2400,
      valCount: 600,
      epochs: 20,
      seed: 42,
      wallSeconds: 61.5,
    },
  }
}
