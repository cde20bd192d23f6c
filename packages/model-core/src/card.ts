import { z } from 'zod'

/**
 * The model card is the contract between training and serving: every runtime validates it on load and
 * preprocesses exactly as it says. Pixel scaling is NOT here as an instruction to clients: it is baked
 * into the graph, and recorded only so people can read what the graph does.
 */
export const resizePolicySchema = z.object({
  mode: z.enum(['center-crop', 'stretch']),
  size: z.number().int().min(8).max(1024),
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
  featureNode: z.string().min(1),
  /** The node whose value for the class is differentiated: the logits before the softmax. */
  scoreNode: z.string().min(1),
  /** The feature map's height and width: the heatmap's resolution, e.g. [7, 7]. */
  grid: z.tuple([z.number().int().positive(), z.number().int().positive()]),
})
export type ExplainSpec = z.infer<typeof explainSchema>

export const modelCardSchema = z
  .object({
    schemaVersion: z.literal(1),
    name: z.string().min(1),
    /** Content hash of topology + weights: two cards with the same version describe the same bytes. */
    version: z.string().regex(/^[0-9a-f]{16}$/),
    createdAt: z.iso.datetime(),
    labels: z.array(z.string().min(1)).min(2),
    input: z.object({
      /** The graph's input: RGB pixels in [0, 255], NHWC, batch first. */
      shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.literal(3)]),
      resize: resizePolicySchema,
      /** What the graph does to pixels before the backbone: x · scale + offset. */
      normalization: z.object({ scale: z.number(), offset: z.number() }),
    }),
    architecture: z.object({
      kind: z.enum(['transfer', 'seed-cnn']),
      backbone: z.string().optional(),
      head: z.string(),
    }),
    graph: z.object({ input: z.string(), output: z.string() }),
    quantization: quantizationSchema,
    /** Temperature scaling applied inside the graph (softmax(logits / T)); absent when not calibrated. */
    calibration: z.object({ temperature: z.number().positive(), fittedOn: z.string() }).optional(),
    /** How heatmaps are made; absent in cards written before it existed (runtimes then read the graph). */
    explain: explainSchema.optional(),
    metrics: z.object({
      valAccuracy: z.number().min(0).max(1),
      valLogLoss: z.number().min(0),
      valCount: z.number().int().nonnegative(),
    }),
    training: z.object({
      dataset: z.string(),
      classCounts: z.record(z.string(), z.number().int().nonnegative()),
      trainCount: z.number().int().nonnegative(),
      valCount: z.number().int().nonnegative(),
      epochs: z.number().int().nonnegative(),
      seed: z.number().int(),
      wallSeconds: z.number().nonnegative(),
    }),
  })
  .refine(
    (card) =>
      card.input.shape[0] === card.input.resize.size && card.input.shape[1] === card.input.resize.size,
    {
      message: 'input.shape must be resize.size × resize.size × 3',
      path: ['input', 'shape'],
    },
  )

export type ModelCard = z.infer<typeof modelCardSchema>

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
