/**
 * `npm run bench`: runs the benchmarks and writes their figures to BENCHMARKS.md.
 * BENCH_RECORDS overrides the ingest size (default 5,000,000) for a quick look.
 */
import { resolve } from 'node:path';
import { ingestBenchmark } from './ingest-bench.js';
import { writeSection } from './report.js';

const target = resolve(process.env.BENCH_OUTPUT ?? 'BENCHMARKS.md');
const records = Number(process.env.BENCH_RECORDS ?? 5_000_000);
const section = await ingestBenchmark(records, Math.max(1, Math.round(records / 5)));
writeSection(target, 'ingest', section);
process.stdout.write(`${section}\nwritten to ${target}\n`);
