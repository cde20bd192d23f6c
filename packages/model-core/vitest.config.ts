import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Loading a real backbone and running it on photos takes a few seconds alone, and several times that while
    // turbo runs every package's tests on two cores (a backbone load + export hook passed 30 s there); hangs
    // must still fail.
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
})
