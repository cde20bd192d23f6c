import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

/** Where `wrangler dev` serves the Worker API. */
const worker = 'http://127.0.0.1:8787'
const proxy = { '/v1': worker, '/healthz': worker }

/** The files of a Whisker model folder, served at /model/ for the "on this device" switch. */
const MODEL_FILES = ['card.json', 'model.json', 'weights.bin'] as const

/**
 * The model the page runs on this device: `WHISKER_WEB_MODEL_DIR`, else the folder the Worker bundles
 * (`apps/edge-api/model`, written by `npm run train`), so both sides run the same model.
 */
export const modelDir = resolve(
  process.env.WHISKER_WEB_MODEL_DIR ?? fileURLToPath(new URL('../edge-api/model', import.meta.url)),
)

/**
 * Copies the model into the build as static assets (`dist/model/*`), which the Worker serves like the rest
 * of the page, and serves the same files from the dev server. Without a model folder the page is built
 * with the switch disabled (`__WHISKER_ON_DEVICE__` false) and a warning.
 */
function onDeviceModel(dir: string): Plugin {
  const present = MODEL_FILES.every((file) => existsSync(resolve(dir, file)))
  return {
    name: 'whisker-on-device-model',
    config: () => ({ define: { __WHISKER_ON_DEVICE__: JSON.stringify(present) } }),
    buildStart() {
      if (!present) this.warn(`no model in ${dir}: the "On this device" switch is disabled in this build`)
    },
    generateBundle() {
      if (!present) return
      for (const file of MODEL_FILES) {
        this.emitFile({ type: 'asset', fileName: `model/${file}`, source: readFileSync(resolve(dir, file)) })
      }
    },
    configureServer(server) {
      server.middlewares.use('/model', (req, res, next) => {
        const file = MODEL_FILES.find((name) => req.url === `/${name}`)
        if (!present || file === undefined) return next()
        res.setHeader(
          'content-type',
          file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        )
        res.end(readFileSync(resolve(dir, file)))
      })
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [onDeviceModel(modelDir)],
  // The on-device chunk (tfjs, the predictor) is ~740 kB and only loaded when the switch is turned on.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { proxy },
  preview: { proxy },
})
