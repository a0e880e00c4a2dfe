/**
 * `npm run bench`: runs the benchmarks and writes their figures to BENCHMARKS.md, each section between its markers.
 * `npm run bench -- --scale` adds the scale benchmark (hours, and tens of GiB of disk).
 *   BENCH_RECORDS           ingest size (default 2,000,000; memory is also measured at 10× it)
 *   BENCH_RUN_RECORDS       sizes for the run benchmark (default 2000000,50000000)
 *   BENCH_KQL_RECORDS       ASIM records for the KQL benchmark (default 50,000,000)
 *   BENCH_BACKTEST_RECORDS  ASIM records over 30 days for the backtest benchmark (default 6,000,000)
 *   BENCH_SCALE_RECORDS     sizes for the scale benchmark (default 100000000,500000000,1000000000)
 *   BENCH_SCALE_MEMORY      DuckDB memory limit of the scale benchmark's ingest and runs (default 4GB)
 *   BENCH_DIR               where large files go (default the system's temporary directory)
 *   BENCH_CLUSTER_RECORDS   ASIM records for the ClickHouse cluster benchmark (default 150,000,000: 15 days × 10M)
 *   BENCH_CLUSTER_INGEST    Zeek records ingested into the cluster (default 1,000,000)
 *   BENCH_ONLY              ingest | run | kql | backtest | cluster | scale, to run one of them
 */
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { backtestBenchmark } from './backtest-bench.js';
import { clusterBenchmark } from './cluster-bench.js';
import { ingestBenchmark } from './ingest-bench.js';
import { kqlBenchmark } from './kql-bench.js';
import { writeSection } from './report.js';
import { runBenchmark } from './run-bench.js';
import { scaleBenchmark } from './scale-bench.js';

const target = resolve(process.env.BENCH_OUTPUT ?? 'BENCHMARKS.md');
const only = process.env.BENCH_ONLY;
const scale = process.argv.includes('--scale') || only === 'scale';
const sizes = (text: string) => text.split(',').map(Number);

const sections: Array<[string, () => Promise<string>]> = [
  ['ingest', () => ingestBenchmark(Number(process.env.BENCH_RECORDS ?? 2_000_000))],
  ['run', () => runBenchmark(sizes(process.env.BENCH_RUN_RECORDS ?? '2000000,50000000'))],
  ['kql', () => kqlBenchmark(Number(process.env.BENCH_KQL_RECORDS ?? 50_000_000))],
  ['backtest', () => backtestBenchmark(Number(process.env.BENCH_BACKTEST_RECORDS ?? 6_000_000))],
  ['cluster', () => clusterBenchmark(Number(process.env.BENCH_CLUSTER_RECORDS ?? 150_000_000), Number(process.env.BENCH_CLUSTER_INGEST ?? 1_000_000))],
];
if (scale) {
  sections.push([
    'scale',
    () =>
      scaleBenchmark({
        sizes: sizes(process.env.BENCH_SCALE_RECORDS ?? '100000000,500000000,1000000000'),
        dir: process.env.BENCH_DIR ?? tmpdir(),
        memoryLimit: process.env.BENCH_SCALE_MEMORY ?? '4GB',
      }),
  ]);
}

for (const [name, run] of sections) {
  if (only && only !== name) continue;
  const section = await run();
  writeSection(target, name, section);
  process.stdout.write(`${section}\n`);
}
process.stdout.write(`written to ${target}\n`);
