import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Loading a real backbone and running it on photos takes a few seconds on a slow machine; hangs must still fail.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
