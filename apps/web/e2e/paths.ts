import { fileURLToPath } from 'node:url'

/** apps/web */
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** The Worker's workspace; wrangler runs there, with its own wrangler.jsonc and sources untouched. */
export const WORKER_ROOT = fileURLToPath(new URL('../../edge-api/', import.meta.url))
/** Scratch space for a run (git-ignored): the page built for the tests and the Worker's tsconfig. */
export const E2E_DIR = fileURLToPath(new URL('../.e2e/', import.meta.url))
export const E2E_DIST = fileURLToPath(new URL('../.e2e/dist/', import.meta.url))
/** The page built with the next model version: what a new deployment serves. */
export const E2E_NEXT_DIST = fileURLToPath(new URL('../.e2e/dist-next/', import.meta.url))
/** Screenshots, kept after the run (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../test-results/e2e/', import.meta.url))
