import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB and chdb are native engines with their own threads: one test file per core is enough.
    pool: 'forks',
    maxWorkers: 2,
  },
});
