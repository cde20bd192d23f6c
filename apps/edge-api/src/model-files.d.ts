// The bundled model directory (see tsconfig.json `paths`, wrangler.jsonc and vitest.config.ts). Declared
// here, not inferred from the files, so typecheck works before a model is trained and never tries to infer
// a type from a multi-megabyte graph.

declare module '#model/model.json' {
  import type { GraphModelJson } from '@whisker/model-core'

  const modelJson: GraphModelJson
  export default modelJson
}

declare module '#model/weights.bin' {
  /** Wrangler's Data rule (and the Vitest plugin's) imports `.bin` files as an ArrayBuffer. */
  const weights: ArrayBuffer
  export default weights
}

declare module '#model/card.json' {
  /** Unvalidated JSON: src/model.ts parses it with the card schema before use. */
  const card: unknown
  export default card
}
