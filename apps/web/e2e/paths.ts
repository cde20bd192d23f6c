import { fileURLToPath } from 'node:url'

/** apps/web */
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Repository root: two levels above the app. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
/** The Worker's workspace; wrangler runs there, with its own wrangler.jsonc and sources untouched. */
export const WORKER_ROOT = fileURLToPath(new URL('../../edge-api/', import.meta.url))
/** A small real model trained once for these tests (git-ignored; delete it to retrain). */
export const E2E_MODEL_DIR = fileURLToPath(new URL('../.e2e-model/', import.meta.url))
/** The e2e model's training run (git-ignored), kept so it can be re-exported. */
export const E2E_RUNS_DIR = fileURLToPath(new URL('../.e2e-runs/', import.meta.url))
/** The next model version: the same run re-exported as float16 (another content hash, git-ignored). */
export const E2E_NEXT_MODEL_DIR = fileURLToPath(new URL('../.e2e-next-model/', import.meta.url))
/** Scratch space for a run (git-ignored): the page built for the tests and the Worker's tsconfig. */
export const E2E_DIR = fileURLToPath(new URL('../.e2e/', import.meta.url))
export const E2E_DIST = fileURLToPath(new URL('../.e2e/dist/', import.meta.url))
/** The page built with the next model version: what a new deployment serves. */
export const E2E_NEXT_DIST = fileURLToPath(new URL('../.e2e/dist-next/', import.meta.url))
/** Screenshots, kept after the run (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../test-results/e2e/', import.meta.url))
/** Labelled photos: WHISKER_DATA, else the shared Kaggle dogs-vs-cats training folder beside the repo. */
export const DATA_DIR =
  process.env.WHISKER_DATA ??
  fileURLToPath(new URL('../../../../shared/datasets/dogs-vs-cats/train', import.meta.url))
