import { fileURLToPath } from 'node:url'

/** apps/edge-api (the repository's fixtures live in @whisker/fixtures). */
export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url))
