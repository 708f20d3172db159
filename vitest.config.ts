import { defineConfig } from 'vitest/config';

/**
 * Tests run against real etcd (see test/harness/index.ts). One shared 3-member cluster is
 * started by the global setup for the whole run; 2 forked workers on the 2-core machine.
 */
export default defineConfig({
  resolve: {
    // Examples import the package by name, as a user would; tests run them from source.
    alias: { conclave: new URL('./src/index.ts', import.meta.url).pathname },
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    globalSetup: ['test/harness/global-setup.ts'],
    setupFiles: ['test/harness/cleanup-setup.ts'],
  },
});
