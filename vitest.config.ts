import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: several helpers and CI machines run suites on 2 busy cores; a timeout here is a hang detector, not a speed check.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // DuckDB and chdb are native engines with their own threads: one test file per core is enough.
    pool: 'forks',
    maxWorkers: 2,
  },
});
