/** What e2e/global-setup.ts hands the browser tests (`inject(...)`). */
export interface E2ePhoto {
  /** File name in the dataset, e.g. `cat.4936.jpg`. */
  readonly name: string
  readonly label: string
  /** Absolute path. */
  readonly path: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Worker under `wrangler dev`, e.g. `http://127.0.0.1:41234`. */
    baseUrl: string
    chromiumPath: string
    /** Validation photos of the e2e model (never seen in training), in split.json's order. */
    photos: E2ePhoto[]
    /** The first validation cat photo as a Y4M video, for Chromium's fake camera (fake-camera.ts). */
    catVideo: string
    /** A second deployment: the page built with the next model version (the e2e run, re-exported). */
    nextRelease: { dist: string; modelDir: string; version: string }
    /** The e2e model's card, as the trainer wrote it. */
    modelCard: {
      version: string
      labels: string[]
      estimate: { accuracy: number; accuracyInterval: [number, number]; count: number; folds?: number }
    }
  }
}
