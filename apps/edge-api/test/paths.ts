import { fileURLToPath } from 'node:url'

/** apps/edge-api */
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Repository root: two levels above the app. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
/** A small real model trained once by test/global-setup.ts (git-ignored), bundled by the tests as `#model/*`. */
export const TEST_MODEL_DIR = fileURLToPath(new URL('../.test-model/', import.meta.url))
/** Labelled photos: WHISKER_DATA, else the shared Kaggle dogs-vs-cats training folder beside the repo. */
export const DATA_DIR =
  process.env.WHISKER_DATA ??
  fileURLToPath(new URL('../../../../shared/datasets/dogs-vs-cats/train', import.meta.url))
