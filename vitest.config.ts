import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Docker-backed suites share one engine; run files in forks so a crash stays contained.
    pool: 'forks',
    // In CI, also write a JSON summary so .ci/run can print one plain "N passed, N failed" line.
    ...(process.env.CI
      ? { reporters: ['default', 'json'], outputFile: { json: 'reports/vitest.json' } }
      : {}),
  },
});
