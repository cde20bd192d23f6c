import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // One small real model, trained once per run, for the evaluate, predict and report tests.
    globalSetup: ['./test/global-setup.ts'],
  },
})
