/**
 * Fuzzing the Parquet reader: a valid ASIM Parquet file written by DuckDB from the repository's ASIM fixture,
 * mutated as whole files (bit flips, truncation, overwritten footer lengths). Parquet is read as a whole, so a
 * damaged file may fail as a whole — with an Error naming it — but never crash the process or hang.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Random } from '../../demo/random.js';
import { runIngest } from '../../ingest/run.js';
import { inputFromFile } from '../../sources/input.js';
import { formatByName } from '../../sources/registry.js';
import { openDuckDbStore } from '../../store/duckdb.js';
import { quoteString } from '../../store/sql.js';
import { emptyStats, type FormatStats } from './runner.js';

export async function fuzzParquet(options: { seed: number; inputs: number; fixtures: string; findingsDir: string }): Promise<FormatStats> {
  const format = formatByName('asim-parquet')!;
  const stats = emptyStats('asim-parquet');
  const dir = mkdtempSync(join(tmpdir(), 'smbwatch-fuzz-parquet-'));
  try {
    const base = await validParquet(dir, join(options.fixtures, 'asim/sessions.jsonl'));
    const random = new Random(options.seed ^ 0x9a7);
    for (let i = 0; i < options.inputs; i++) {
      const bytes = Buffer.from(base);
      const kind = random.int(0, 2);
      if (kind === 0) for (let k = random.int(1, 12); k > 0; k--) {
        const at = random.int(0, bytes.length - 1);
        bytes[at] = bytes[at]! ^ (1 << random.int(0, 7));
      }
      else if (kind === 1) bytes.writeUInt32LE(random.pick([0, 1, 0xffffffff, 0x7fffffff, bytes.length]), Math.max(0, bytes.length - 8));
      else for (let k = random.int(1, 4); k > 0; k--) bytes.writeUInt32LE(random.uint32(), random.int(4, bytes.length - 12));
      const path = join(dir, 'mutated.parquet');
      writeFileSync(path, kind === 0 && random.chance(0.2) ? bytes.subarray(0, random.int(4, bytes.length)) : bytes);
      const started = performance.now();
      try {
        for await (const batch of format.parse(inputFromFile(path), {})) stats.bytes += batch.length;
      } catch (error) {
        if (!(error instanceof Error)) {
          mkdirSync(options.findingsDir, { recursive: true });
          const reproducer = join(options.findingsDir, `asim-parquet-non-error-seed${options.seed}-input${i}.parquet`);
          writeFileSync(reproducer, readFileSync(path));
          stats.findings.push({ kind: 'non-error-throw', format: 'asim-parquet', seed: options.seed, document: i, message: String(error), mutators: [], reproducer });
        }
      }
      const ms = performance.now() - started;
      stats.documents++;
      stats.mutatedInputs++;
      stats.totalParseMs += ms;
      stats.maxDocumentMs = Math.max(stats.maxDocumentMs, ms);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

async function validParquet(dir: string, jsonl: string): Promise<Buffer> {
  const store = await openDuckDbStore(':memory:');
  try {
    await runIngest(store, [jsonl], { parse: {} });
    const path = join(dir, 'base.parquet');
    await store.query(`COPY (SELECT * FROM ASimNetworkSessionLogs) TO ${quoteString(path)} (FORMAT PARQUET)`);
    return readFileSync(path);
  } finally {
    await store.close();
  }
}
