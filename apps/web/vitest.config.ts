import { defineConfig } from 'vitest/config'

/**
 * Two projects, both run by `npm test`:
 * - `unit`: the client logic, beside the code (src/*.test.ts), in Node;
 * - `e2e`: the built page in Debian's Chromium (playwright-core) against the Worker under `wrangler dev`,
 *   started by e2e/global-setup.ts with a small model trained for these tests.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'vite/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.e2e.ts'],
          globalSetup: ['./e2e/global-setup.ts'],
          // One browser, one Worker: the files run one after another.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
