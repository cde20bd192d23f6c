import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { pwaIcons } from './vite/icons.ts'
import { modelDir, onDeviceModel } from './vite/model.ts'
import { pwa } from './vite/pwa.ts'

/** Where `wrangler dev` serves the Worker API. */
const worker = 'http://127.0.0.1:8787'
const proxy = { '/v1': worker, '/healthz': worker }

export default defineConfig({
  base: '/',
  plugins: [
    onDeviceModel(modelDir),
    pwaIcons(fileURLToPath(new URL('public/favicon.svg', import.meta.url))),
    pwa(),
  ],
  // The on-device chunk (tfjs, the predictor) is ~740 kB and only loaded when the switch is turned on.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { proxy },
  preview: { proxy },
})
