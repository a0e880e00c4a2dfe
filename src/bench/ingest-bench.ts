/**
 * Ingest benchmark: smbwatch's Zeek conn.log ingest against DuckDB's own read_csv of the same file, and peak
 * memory at two file sizes (bounded memory means the larger file needs no more than the smaller one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeZeekConnLog } from './zeek-generator.js';

interface ChildFigures {
  seconds: number;
  records: number;
  maxRssBytes: number;
  rejects?: number;
}

function runChild(script: string, args: string[]): ChildFigures {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const output = execFileSync(process.execPath, [path, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output) as ChildFigures;
}

const MiB = 1024 * 1024;
/** Both processes run DuckDB with the same memory limit, so peak memory compares like for like. */
export const BENCH_MEMORY_LIMIT = '1GB';

export async function ingestBenchmark(records: number, smallRecords: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'smbwatch-bench-'));
  try {
    const big = join(dir, 'conn.log');
    const small = join(dir, 'conn-small.log');
    process.stderr.write(`generating ${records.toLocaleString('en-US')} Zeek conn records…\n`);
    await writeZeekConnLog(big, records);
    await writeZeekConnLog(small, smallRecords);
    const size = statSync(big).size;

    process.stderr.write('baseline: DuckDB read_csv…\n');
    const baseline = runChild('./baseline-child.js', [join(dir, 'baseline.duckdb'), big]);
    process.stderr.write('smbwatch ingest…\n');
    const ours = runChild('./ingest-child.js', [join(dir, 'ours.duckdb'), big]);
    process.stderr.write('smbwatch ingest of the small file (memory bound)…\n');
    const oursSmall = runChild('./ingest-child.js', [join(dir, 'small.duckdb'), small]);
    if (ours.records !== records || baseline.records !== records) {
      throw new Error(`record counts differ: generated ${records}, smbwatch ${ours.records}, DuckDB ${baseline.records}`);
    }
    const ratio = ours.seconds / baseline.seconds;
    const memoryGrowth = ours.maxRssBytes / oursSmall.maxRssBytes;
    return `## Ingest: Zeek conn.log (issue 2)

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}.
Input: ${records.toLocaleString('en-US')} generated conn records, ${(size / MiB).toFixed(0)} MiB of TSV. DuckDB memory_limit ${BENCH_MEMORY_LIMIT} and preserve_insertion_order false in both processes.

| | time | records/s | peak memory |
|---|---:|---:|---:|
| baseline: DuckDB \`read_csv\` into a typed table | ${baseline.seconds.toFixed(1)} s | ${Math.round(records / baseline.seconds).toLocaleString('en-US')} | ${(baseline.maxRssBytes / MiB).toFixed(0)} MiB |
| smbwatch ingest (parse, map to ASIM, store, ledger) | ${ours.seconds.toFixed(1)} s | ${Math.round(records / ours.seconds).toLocaleString('en-US')} | ${(ours.maxRssBytes / MiB).toFixed(0)} MiB |
| smbwatch ingest of ${smallRecords.toLocaleString('en-US')} records | ${oursSmall.seconds.toFixed(1)} s | ${Math.round(smallRecords / oursSmall.seconds).toLocaleString('en-US')} | ${(oursSmall.maxRssBytes / MiB).toFixed(0)} MiB |

- **Throughput ratio** (smbwatch time / baseline time): **${ratio.toFixed(2)}×** (goal: ≤ 1.5×).
- **Memory bound**: peak memory at ${(records / smallRecords).toFixed(0)}× the records is ${memoryGrowth.toFixed(2)}× the smaller run's (goal: bounded, ≈ 1×).
`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
