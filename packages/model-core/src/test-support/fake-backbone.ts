import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { BACKBONES } from '../architectures/backbones.ts'
import type { LoadedBackbone } from '../architectures/load-backbone.ts'
import { seededRandom, uniform } from './tf.ts'

/**
 * A backbone small enough to build in a test: 8×8×3 → conv(3×3, stride 2) + BatchNorm + ReLU6 → 4×4×4,
 * with the registry's MobileNetV2 settings except its size.
 */
export function fakeBackbone(seed = 1): LoadedBackbone {
  const random = seededRandom(seed)
  const input = tfl.input({ shape: [8, 8, 3] })
  const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false })
  const bn = tfl.layers.batchNormalization({})
  let x = conv.apply(input) as tfl.SymbolicTensor
  x = bn.apply(x) as tfl.SymbolicTensor
  x = tfl.layers.reLU({ maxValue: 6, name: 'features' }).apply(x) as tfl.SymbolicTensor
  conv.setWeights([tf.tensor4d(uniform(random, 3 * 3 * 3 * 4, -0.5, 0.5), [3, 3, 3, 4])])
  bn.setWeights([
    tf.tensor1d(uniform(random, 4, 0.5, 1.5)),
    tf.tensor1d(uniform(random, 4, -0.5, 0.5)),
    tf.tensor1d(uniform(random, 4, -0.5, 0.5)),
    tf.tensor1d(uniform(random, 4, 0.5, 2)),
  ])
  return {
    kind: 'layers',
    spec: { ...BACKBONES['mobilenet_v2_0.35'], inputSize: 8, featureLayer: 'features', featureDim: 4 },
    model: tfl.model({ inputs: input, outputs: x }),
    from: 'built in the test',
  }
}
