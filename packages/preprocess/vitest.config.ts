import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Decoding real photos with two codecs takes a few seconds on a slow machine; hangs must still fail.
    testTimeout: 30_000,
  },
})
