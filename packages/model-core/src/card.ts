// zod/mini: the same schemas as zod's, with checks as functions instead of methods, so a bundle carries only
// the checks it uses. The page validates cards (and the Worker's answers) with them in its first download:
// full zod would add about 90 kB gzip to it, mini about 9 kB.
import * as z from 'zod/mini'

/**
 * The model card is the contract between training and serving: every runtime validates it on load and
 * preprocesses exactly as it says. Pixel scaling is NOT here as an instruction to clients: it is baked
 * into the graph, and recorded only so people can read what the graph does.
 */
export const resizePolicySchema = z.object({
  mode: z.enum(['center-crop', 'stretch']),
  size: z.int().check(z.minimum(8), z.maximum(1024)),
  filter: z.literal('bilinear'),
})

/** `auto` mixes uint8 and float16 per tensor, chosen against validation accuracy. */
export const quantizationSchema = z.enum(['none', 'float16', 'uint8', 'auto'])
export type Quantization = z.infer<typeof quantizationSchema>

/**
 * How a runtime draws "where the model looked" for its top class (see src/explain/). `cam` (class
 * activation map) where the feature map is pooled straight into one linear layer, `grad-cam` otherwise;
 * both are computed the same way, by Grad-CAM through the graph, which equals CAM on a linear head.
 */
export const explainSchema = z.object({
  method: z.enum(['grad-cam', 'cam']),
  /** The graph node holding the last convolutional feature map (NHWC), e.g. `Conv_1` for MobileNetV2. */
  featureNode: z.string().check(z.minLength(1)),
  /** The node whose value for the class is differentiated: the logits before the softmax. */
  scoreNode: z.string().check(z.minLength(1)),
  /** The feature map's height and width: the heatmap's resolution, e.g. [7, 7]. */
  grid: z.tuple([z.int().check(z.positive()), z.int().check(z.positive())]),
})
export type ExplainSpec = z.infer<typeof explainSchema>

/** A two-sided 95 % interval, [low, high]. */
const intervalSchema = z
  .tuple([z.number(), z.number()])
  .check(z.refine(([low, high]) => low <= high, { message: 'an interval is [low, high] with low ≤ high' }))

/**
 * What users should expect on photos like the training photos that the model has never seen: measured on
 * photos that no choice of the run (epochs, temperature, quantization) was made on, with 95 % intervals.
 */
export const estimateSchema = z.object({
  /**
   * `cross-validation`: out-of-fold predictions of k models, each trained and tuned without its fold (the
   * served model is then refit on every photo); `validation-folder`: a separate labelled folder (--val-data);
   * `holdout`: a share of the photos sealed before any choice (--val-split).
   */
  method: z.enum(['cross-validation', 'validation-folder', 'holdout']),
  folds: z.optional(z.int().check(z.minimum(2))),
  /** Photos the figure is measured on. */
  count: z.int().check(z.positive()),
  accuracy: z.number().check(z.minimum(0), z.maximum(1)),
  /** Wilson score interval. */
  accuracyInterval: intervalSchema,
  logLoss: z.number().check(z.minimum(0)),
  /** Percentile bootstrap of the per-photo losses. */
  logLossInterval: intervalSchema,
  /** One sentence for people: how the figure was made. */
  how: z.string().check(z.minLength(1)),
})
export type Estimate = z.infer<typeof estimateSchema>

/** How far the served (quantized) graph's answers are from its float32 graph's, on every labelled photo. */
export const exportFidelitySchema = z.object({
  count: z.int().check(z.positive()),
  /** Share of photos whose top class is the same. */
  agreement: z.number().check(z.minimum(0), z.maximum(1)),
  /** Photos whose top class changed although float32 had decided it (top two more than 0.1 apart). */
  decisiveChanges: z.optional(z.int().check(z.minimum(0))),
  /** Mean KL divergence, float32 ‖ served. */
  meanKl: z.number().check(z.minimum(0)),
  /** Largest change of any class probability. */
  maxProbabilityChange: z.number().check(z.minimum(0)),
  /** Mean change of the log-odds of the first class: a shift towards one class shows here. */
  meanLogOddsShift: z.number(),
})
export type ExportFidelity = z.infer<typeof exportFidelitySchema>

export const modelCardSchema = z
  .object({
    schemaVersion: z.literal(1),
    name: z.string().check(z.minLength(1)),
    /** Content hash of topology + weights: two cards with the same version describe the same bytes. */
    version: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
    createdAt: z.iso.datetime(),
    labels: z.array(z.string().check(z.minLength(1))).check(z.minLength(2)),
    input: z.object({
      /** The graph's input: RGB pixels in [0, 255], NHWC, batch first. */
      shape: z.tuple([z.int().check(z.positive()), z.int().check(z.positive()), z.literal(3)]),
      resize: resizePolicySchema,
      /** What the graph does to pixels before the backbone: x · scale + offset. */
      normalization: z.object({ scale: z.number(), offset: z.number() }),
    }),
    architecture: z.object({
      kind: z.enum(['transfer', 'seed-cnn']),
      backbone: z.optional(z.string()),
      head: z.string(),
    }),
    graph: z.object({ input: z.string(), output: z.string() }),
    quantization: quantizationSchema,
    /** Temperature scaling applied inside the graph (softmax(logits / T)); absent when not calibrated. */
    calibration: z.optional(z.object({ temperature: z.number().check(z.positive()), fittedOn: z.string() })),
    /** How heatmaps are made; absent in cards written before it existed (runtimes then read the graph). */
    explain: z.optional(explainSchema),
    /**
     * The figures of `estimate` (cross-validated, or on a separate folder), kept flat for older readers;
     * absent `estimate`, as written before it existed: measured on the validation split that also made the
     * run's choices, which overstates what new photos get.
     */
    metrics: z.object({
      valAccuracy: z.number().check(z.minimum(0), z.maximum(1)),
      valLogLoss: z.number().check(z.minimum(0)),
      valCount: z.int().check(z.nonnegative()),
    }),
    estimate: z.optional(estimateSchema),
    /** Absent for float32 exports, whose answers are the float32 graph's. */
    exportFidelity: z.optional(exportFidelitySchema),
    training: z.object({
      dataset: z.string(),
      classCounts: z.record(z.string(), z.int().check(z.nonnegative())),
      trainCount: z.int().check(z.nonnegative()),
      valCount: z.int().check(z.nonnegative()),
      epochs: z.int().check(z.nonnegative()),
      seed: z.int(),
      wallSeconds: z.number().check(z.nonnegative()),
    }),
  })
  .check(
    z.refine(
      (card) =>
        card.input.shape[0] === card.input.resize.size && card.input.shape[1] === card.input.resize.size,
      { message: 'input.shape must be resize.size × resize.size × 3', path: ['input', 'shape'] },
    ),
  )

export type ModelCard = z.infer<typeof modelCardSchema>

/**
 * A whole, valid card, as the trainer writes it and `GET /v1/model` sends it: the card tests start from
 * (here and in the page) and the API document's example of a ModelCard.
 */
export const MODEL_CARD_EXAMPLE = {
  schemaVersion: 1,
  name: 'whisker-cat-dog',
  version: '293288714127807f',
  createdAt: '2026-11-25T23:50:13.332Z',
  labels: ['cat', 'dog'],
  input: {
    shape: [224, 224, 3],
    resize: { mode: 'center-crop', size: 224, filter: 'bilinear' },
    normalization: { scale: 1 / 127.5, offset: -1 },
  },
  architecture: { kind: 'transfer', backbone: 'mobilenet_v2_0.35', head: 'dense(softmax)' },
  graph: { input: 'pixels', output: 'probabilities' },
  quantization: 'float16',
  metrics: { valAccuracy: 0.9863, valLogLoss: 0.041, valCount: 3000 },
  estimate: {
    method: 'cross-validation',
    folds: 5,
    count: 3000,
    accuracy: 0.9863,
    accuracyInterval: [0.9815, 0.9899],
    logLoss: 0.041,
    logLossInterval: [0.033, 0.05],
    how: 'Out-of-fold predictions of 5 models, each trained and tuned without its fold.',
  },
  training: {
    dataset: 'dogs-vs-cats',
    classCounts: { cat: 1500, dog: 1500 },
    trainCount: 3000,
    valCount: 0,
    epochs: 12,
    seed: 7,
    wallSeconds: 95,
  },
} as const satisfies z.input<typeof modelCardSchema>

export class InvalidModelCardError extends Error {
  readonly code = 'INVALID_MODEL_CARD'
  constructor(issues: string) {
    super(`The model card is invalid: ${issues}`)
    this.name = 'InvalidModelCardError'
  }
}

export function parseModelCard(json: unknown): ModelCard {
  const parsed = modelCardSchema.safeParse(json)
  if (!parsed.success) throw new InvalidModelCardError(z.prettifyError(parsed.error))
  return parsed.data
}
