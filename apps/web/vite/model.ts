import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { concatBytes, sha256Hex } from '@whisker/preprocess'
import type { Plugin } from 'vite'

/** The files of a Whisker model folder, served at /model/ for the "on this device" switch. */
export const MODEL_FILES = ['card.json', 'model.json', 'weights.bin'] as const

/**
 * The model the page runs on this device: `WHISKER_WEB_MODEL_DIR`, else the folder the Worker bundles
 * (`apps/edge-api/model`, written by `npm run train`), so both sides run the same model.
 */
export const modelDir = resolve(
  process.env.WHISKER_WEB_MODEL_DIR ?? fileURLToPath(new URL('../../edge-api/model', import.meta.url)),
)

/**
 * The model folder's content hash (16 hex digits of SHA-256 over the three files, in order), or undefined
 * without a complete folder. The page fetches `/model/<file>?v=<revision>`, so a new model is a new URL:
 * the service worker's cache-first copy of the old one is never served for it (vite/pwa.ts). By
 * @whisker/preprocess's sha256Hex, the one content hash that also names photos and model versions.
 */
export async function modelRevision(dir: string): Promise<string | undefined> {
  if (!MODEL_FILES.every((file) => existsSync(resolve(dir, file)))) return undefined
  const files = await Promise.all(MODEL_FILES.map((file) => readFile(resolve(dir, file))))
  return (await sha256Hex(concatBytes(files))).slice(0, 16)
}

/**
 * Copies the model into the build as static assets (`dist/model/*`), which the Worker serves like the rest
 * of the page, and serves the same files from the dev server. The page learns the model's revision from
 * `__WHISKER_MODEL_REVISION__`; without a model folder it is `null`, the switch is disabled and Vite warns.
 */
export function onDeviceModel(dir: string): Plugin {
  // Set by `config`, which Vite runs (and awaits) before any other hook below.
  let revision: string | undefined
  return {
    name: 'whisker-on-device-model',
    async config() {
      revision = await modelRevision(dir)
      return { define: { __WHISKER_MODEL_REVISION__: JSON.stringify(revision ?? null) } }
    },
    buildStart() {
      if (revision === undefined) {
        this.warn(`no model in ${dir}: the "On this device" switch is disabled in this build`)
      }
    },
    generateBundle() {
      if (revision === undefined) return
      for (const file of MODEL_FILES) {
        this.emitFile({ type: 'asset', fileName: `model/${file}`, source: readFileSync(resolve(dir, file)) })
      }
    },
    configureServer(server) {
      server.middlewares.use('/model', (req, res, next) => {
        const path = (req.url ?? '').split('?')[0]
        const file = MODEL_FILES.find((name) => path === `/${name}`)
        if (revision === undefined || file === undefined) return next()
        res.setHeader(
          'content-type',
          file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        )
        res.end(readFileSync(resolve(dir, file)))
      })
    },
  }
}
