import { z } from 'zod'

/**
 * What a backbone expects, so that nothing downstream hard-codes an input size or a value range. The
 * registry's entries and users' own backbones (a `whisker-backbone.json` beside their model.json) are
 * validated by this one schema.
 */
export const backboneSpecSchema = z.object({
  name: z.string().regex(/^[\w.-]+$/, 'letters, digits, _ . - only (it names cache folders)'),
  /** Square input side in pixels. */
  inputSize: z.number().int().min(8).max(1024),
  /** Maps pixels in [0, 255] to the range the network was trained on: x · scale + offset. */
  normalization: z.object({ scale: z.number().positive(), offset: z.number() }),
  /** The layer whose output, global-average-pooled, is the embedding. */
  featureLayer: z.string().min(1),
  /** Channels of the feature layer: checked against the network when it loads. */
  featureDim: z.number().int().positive(),
  /**
   * Where the weights come from (https), for provenance and for the not-found message. Never fetched: a
   * backbone is read from disk only. (Spec files from before the rename may still carry `url`; like any
   * unknown field it is dropped.)
   */
  origin: z.url({ protocol: /^https$/ }).optional(),
  license: z.string().min(1),
})

export type BackboneSpec = Readonly<z.infer<typeof backboneSpecSchema>> & {
  readonly normalization: { readonly scale: number; readonly offset: number }
}

/** The file in a backbone folder that says what the network expects (see backboneSpecSchema). */
export const BACKBONE_SPEC_FILE = 'whisker-backbone.json'

export class InvalidBackboneSpecError extends Error {
  readonly code = 'INVALID_BACKBONE_SPEC'
  constructor(where: string, why: string) {
    super(`The backbone spec ${where} is invalid: ${why}`)
    this.name = 'InvalidBackboneSpecError'
  }
}

/** A spec file's content, validated; throws InvalidBackboneSpecError naming every problem. */
export function parseBackboneSpec(json: unknown, where: string): BackboneSpec {
  const parsed = backboneSpecSchema.safeParse(json)
  if (!parsed.success) throw new InvalidBackboneSpecError(where, z.prettifyError(parsed.error))
  return parsed.data
}

const TO_MINUS_ONE_ONE = { scale: 1 / 127.5, offset: -1 }
const TO_ZERO_ONE = { scale: 1 / 255, offset: 0 }

export const BACKBONES = {
  'mobilenet_v2_0.35': {
    name: 'mobilenet_v2_0.35',
    inputSize: 224,
    normalization: TO_MINUS_ONE_ONE,
    featureLayer: 'out_relu',
    featureDim: 1280,
    origin:
      'https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top/model.json',
    license: 'Apache-2.0 (Keras Applications MobileNetV2 weights)',
  },
  'mobilenet_v1_1.0_pw12': {
    name: 'mobilenet_v1_1.0_pw12',
    inputSize: 224,
    normalization: TO_MINUS_ONE_ONE,
    featureLayer: 'conv_pw_12_relu',
    featureDim: 1024,
    origin: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_1.0_224/model.json',
    license: 'Apache-2.0 (TensorFlow MobileNet v1 weights)',
  },
  'mobilenet_v2_1.0': {
    name: 'mobilenet_v2_1.0',
    inputSize: 224,
    normalization: TO_MINUS_ONE_ONE,
    // Keras `Conv_1` after relu6; BatchNorm is already folded into every kernel of this rebuild.
    featureLayer: 'conv_51',
    featureDim: 1280,
    // Rebuilt as float32 layers from this int8 TFLite file (see ../shared/models/README.md).
    origin:
      'https://github.com/google-coral/test_data/blob/104342d2d3480b3e66203073dac24f4e2dbb4c41/tf2_mobilenet_v2_1.0_224_ptq.tflite',
    license: 'Apache-2.0 (TensorFlow MobileNetV2 weights, rebuilt from google-coral/test_data)',
  },
  darknet_tiny: {
    name: 'darknet_tiny',
    inputSize: 224,
    normalization: TO_ZERO_ONE,
    featureLayer: 'leaky_re_lu_15',
    featureDim: 128,
    origin:
      'https://github.com/ml5js/ml5-data-and-models/tree/0612a3e7c51cbffdc5db701dff49d16d1ac26fa8/models/darknetclassifier/darknettiny',
    license: 'Darknet weights (public domain); ml5 packaging MIT',
  },
} as const satisfies Record<string, BackboneSpec>

export type BackboneName = keyof typeof BACKBONES
export const DEFAULT_BACKBONE: BackboneName = 'mobilenet_v2_0.35'

export class UnknownBackboneError extends Error {
  readonly code = 'UNKNOWN_BACKBONE'
  constructor(name: string) {
    super(`Unknown backbone "${name}". Known: ${Object.keys(BACKBONES).join(', ')}.`)
    this.name = 'UnknownBackboneError'
  }
}

export function isBackboneName(name: string): name is BackboneName {
  return Object.hasOwn(BACKBONES, name)
}

export function backboneSpec(name: string): BackboneSpec {
  if (!isBackboneName(name)) throw new UnknownBackboneError(name)
  return BACKBONES[name]
}
