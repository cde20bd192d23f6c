/** What test/global-setup.ts (Node) hands to the tests (workerd), which cannot read the filesystem. */

export interface LabelledPhoto {
  /** File name in the dataset, e.g. `cat.1042.jpg`. */
  name: string
  label: string
  /** The file's bytes, base64. */
  base64: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every validation photo of the test model: never seen in training. */
    validationPhotos: LabelledPhoto[]
    /** One validation photo re-encoded as PNG (same pixels, different container and codec). */
    validationPng: LabelledPhoto
    /** The heatmap model-core draws in Node for `validationPng`'s pixels: the Worker must draw the same. */
    validationPngHeatmap: { label: string; method: string; grid: number[][] }
    /** The test model's validation accuracy as the trainer measured it (Node, sharp decoder). */
    trainerValAccuracy: number
    /** The `dev` environment's RATE_LIMITER binding (wrangler.jsonc), which the tests run with. */
    rateLimit: { limit: number; period: number }
    /** The largest accepted image of each kind (16 MP baseline JPEG; 3 MP progressive JPEG, PNG, WebP), base64. */
    largestPhotos: Record<string, string>
  }
}
