/**
 * `npm run bench`: runs the benchmarks and writes their figures to BENCHMARKS.md.
 *   BENCH_RECORDS      ingest size (default 5,000,000)
 *   BENCH_KQL_RECORDS  ASIM records for the KQL benchmark (default 50,000,000)
 *   BENCH_BACKTEST_RECORDS  ASIM records over 30 days for the backtest benchmark (default 6,000,000)
 *   BENCH_ONLY         ingest | kql | backtest, to run one of them
 */
import { resolve } from 'node:path';
import { backtestBenchmark } from './backtest-bench.js';
import { ingestBenchmark } from './ingest-bench.js';
import { kqlBenchmark } from './kql-bench.js';
import { writeSection } from './report.js';

const target = resolve(process.env.BENCH_OUTPUT ?? 'BENCHMARKS.md');
const only = process.env.BENCH_ONLY;

if (!only || only === 'ingest') {
  const records = Number(process.env.BENCH_RECORDS ?? 5_000_000);
  const section = await ingestBenchmark(records, Math.max(1, Math.round(records / 5)));
  writeSection(target, 'ingest', section);
  process.stdout.write(`${section}\n`);
}
if (!only || only === 'kql') {
  const section = await kqlBenchmark(Number(process.env.BENCH_KQL_RECORDS ?? 50_000_000));
  writeSection(target, 'kql', section);
  process.stdout.write(`${section}\n`);
}
if (!only || only === 'backtest') {
  const section = await backtestBenchmark(Number(process.env.BENCH_BACKTEST_RECORDS ?? 6_000_000));
  writeSection(target, 'backtest', section);
  process.stdout.write(`${section}\n`);
}
process.stdout.write(`written to ${target}\n`);
