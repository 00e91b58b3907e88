import { defineConfig } from 'vitest/config';

/**
 * Two projects, one rule: a unit test (no network, no child process, no server) sits beside its
 * module in `src/` as `x.test.ts`; a test that starts Orthanc, a FHIR server, the CLI or
 * containers lives under `test/<capability>/`. `npm run test:unit` runs the first alone.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          // Pure tests: worker threads start faster than forks, and modules need not be
          // re-imported for every file.
          pool: 'threads',
          isolate: false,
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
