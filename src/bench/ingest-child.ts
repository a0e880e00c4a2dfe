/**
 * Runs one ingest in its own process and prints its wall time and peak memory as JSON, so the benchmark
 * measures smbwatch alone (argv: database path, log path).
 */
import { runIngest } from '../ingest/run.js';
import { openDuckDbStore } from '../store/duckdb.js';
import { BENCH_MEMORY_LIMIT } from './ingest-bench.js';

const [db, log] = process.argv.slice(2);
if (!db || !log) throw new Error('usage: ingest-child DB LOG');
const store = await openDuckDbStore(db, { memoryLimit: BENCH_MEMORY_LIMIT });
const started = performance.now();
const result = await runIngest(store, [log], { parse: {} });
const seconds = (performance.now() - started) / 1000;
await store.close();
const outcome = result.outcomes[0];
process.stdout.write(
  JSON.stringify({ seconds, records: outcome?.records ?? 0, rejects: outcome?.rejects ?? 0, status: outcome?.status, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
);
