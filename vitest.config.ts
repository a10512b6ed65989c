import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The default reporter prints the "Tests N passed" summary; under CI a JSON report too, from
    // which .ci/run prints a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'node_modules/.vitest/results.json' },
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
