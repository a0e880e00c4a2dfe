/**
 * Stores for the run and backtest tests, filled through the store's ingest API (as `smbwatch ingest` does):
 *  - the seed rule's edge-case fixture of test/kql/cases/seed-rule.yaml (rows and hand-computed expectations there);
 *  - the backtest fixture described in test/backtest/backtest.test.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { AsimRecord } from '../../src/asim/record.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { isoToMicros } from '../../src/util/time.js';

const SEED_CASES = fileURLToPath(new URL('../kql/cases/seed-rule.yaml', import.meta.url));

type Cell = string | number | null;
interface FixtureTable {
  columns: Array<[string, string]>;
  rows: Array<Cell[] | { times: number; row: Cell[] }>;
}
interface SeedCase {
  name: string;
  at: string;
  table: FixtureTable;
  expected: { rows: Cell[][] };
}

function seedCases(): SeedCase[] {
  return parse(readFileSync(SEED_CASES, 'utf8')) as SeedCase[];
}

/** The edge-case fixture's records (times as microseconds), in file order. */
export function seedFixtureRecords(): AsimRecord[] {
  const [first] = seedCases();
  if (!first) throw new Error(`${SEED_CASES}: no case`);
  const names = first.table.columns.map(([name]) => name);
  return first.table.rows.flatMap((entry) => {
    const [times, row] = Array.isArray(entry) ? [1, entry] : [entry.times, entry.row];
    const record: AsimRecord = Object.fromEntries(names.map((name, i) => [name, row[i] ?? null]));
    const micros = isoToMicros(String(record.TimeGenerated));
    if (micros === null) throw new Error(`bad time ${String(record.TimeGenerated)}`);
    return Array.from({ length: times }, () => ({ ...record, TimeGenerated: micros }));
  });
}

/** The hand-computed result rows of the case whose name starts with `prefix`: [SrcIpAddr, DstPortNumber, Deviation, Count]. */
export function seedExpectedRows(prefix: string): Cell[][] {
  const found = seedCases().find((c) => c.name.startsWith(prefix));
  if (!found) throw new Error(`no case ${prefix}`);
  return found.expected.rows;
}

/** A DuckDB store at `path` holding `records`, ingested as one input. */
export async function writeStore(path: string, records: readonly AsimRecord[]): Promise<void> {
  const store = await openDuckDbStore(path);
  try {
    const ingest = await store.beginIngest();
    await ingest.appendRecords(records);
    await ingest.commit({
      name: 'fixture', format: 'test', size: 0, offsetReached: 0, lineReached: 0, contentHash: `fixture-${records.length}`,
      records: records.length, rejects: 0, ignored: 0, ingestedAt: new Date(),
    });
  } finally {
    await store.close();
  }
}
