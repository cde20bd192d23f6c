import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { TEST_MODEL_DIR } from './test/paths.ts'

export default defineConfig({
  // The tests run inside workerd with the Worker's own wrangler.jsonc: same bindings, module rules, assets.
  plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.jsonc' } })],
  // wrangler bundles ./model (tsconfig `paths`); the tests bundle the model trained by the global setup.
  resolve: { alias: [{ find: /^#model\/(.*)$/, replacement: `${TEST_MODEL_DIR}$1` }] },
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // The first request transforms tfjs through Vite and loads the model: 7-18 s on a small machine.
    testTimeout: 60_000,
  },
})
