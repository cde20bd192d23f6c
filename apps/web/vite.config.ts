import { defineConfig } from 'vite'

/** Where `wrangler dev` serves the Worker API. */
const worker = 'http://127.0.0.1:8787'
const proxy = { '/v1': worker, '/healthz': worker }

export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy },
  preview: { proxy },
})
