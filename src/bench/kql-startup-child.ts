/**
 * Kusto.Language's start-up cost in a fresh process: loading the compiler (which loads the Bridge.NET
 * bundle), the first compile of the seed rule (first analysis), and a second compile (warm). Prints JSON.
 */
const loadStarted = performance.now();
const { compileKql } = await import('../kql/compile.js');
const { seedRuleQuery } = await import('./kql-bench.js');
const query = seedRuleQuery();
const options = { engine: 'duckdb' as const, now: Date.UTC(2024, 2, 15) * 1000, lookback: 14 * 86_400_000_000 };
const loaded = performance.now();
compileKql(query, options);
const first = performance.now();
compileKql(query, options);
const warm = performance.now();
process.stdout.write(
  JSON.stringify({ loadSeconds: (loaded - loadStarted) / 1000, firstSeconds: (first - loaded) / 1000, warmSeconds: (warm - first) / 1000 }),
);
