import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { TEST_MODEL_DIR } from '@whisker/fixtures'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The tests run inside workerd with the Worker's own wrangler.jsonc, `dev` environment: the same vars,
  // rate-limiting binding (miniflare's simulation of it), module rules and static assets.
  plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.jsonc', environment: 'dev' } })],
  // wrangler bundles ./model (tsconfig `paths`); the tests bundle the model trained by the global setup.
  resolve: { alias: [{ find: /^#model\/(.*)$/, replacement: `${TEST_MODEL_DIR}/$1` }] },
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // The first request transforms tfjs through Vite and loads the model: 7-18 s on a small machine.
    testTimeout: 60_000,
    // Each test file reuses a worker's isolate instead of spawning its own: tfjs, the codecs and the model
    // are transformed and loaded once per worker, not once per file (measured: 58 s → 24 s CPU for 14
    // files). Tests must not depend on module state another file left; they pick fresh IPs, keys and bytes.
    isolate: false,
    // One access-log line per request would bury the test report; tests that check the log spy on it.
    onConsoleLog: (log) => !log.includes('"msg":"request"'),
  },
})
