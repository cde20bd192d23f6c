import { fileURLToPath } from 'node:url'

/** apps/web */
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Repository root: two levels above the app. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
/** The Worker's workspace; wrangler runs there, with its own wrangler.jsonc and sources untouched. */
export const WORKER_ROOT = fileURLToPath(new URL('../../edge-api/', import.meta.url))
/** A small real model trained once for these tests (git-ignored; delete it to retrain). */
export const E2E_MODEL_DIR = fileURLToPath(new URL('../.e2e-model/', import.meta.url))
/** Scratch space for a run (git-ignored): the page built for the tests and the Worker's tsconfig. */
export const E2E_DIR = fileURLToPath(new URL('../.e2e/', import.meta.url))
export const E2E_DIST = fileURLToPath(new URL('../.e2e/dist/', import.meta.url))
/** Screenshots, kept after the run (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../test-results/e2e/', import.meta.url))
/** Labelled photos: WHISKER_DATA, else the shared Kaggle dogs-vs-cats training folder beside the repo. */
export const DATA_DIR =
  process.env.WHISKER_DATA ??
  fileURLToPath(new URL('../../../../shared/datasets/dogs-vs-cats/train', import.meta.url))
