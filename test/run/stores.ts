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

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
const at = (iso: string): number => {
  const micros = isoToMicros(iso);
  if (micros === null) throw new Error(iso);
  return micros;
};
const smb = (src: string, port: number, micros: number, count = 1): AsimRecord[] =>
  Array.from({ length: count }, () => ({ TimeGenerated: micros, SrcIpAddr: src, DstIpAddr: '10.1.0.1', DstPortNumber: port }));

/**
 * The backtest fixture (daily steps 2024-03-11 … 2024-03-15 at 00:00Z; see test/backtest/backtest.test.ts):
 *  A 10.0.0.1:445  one record a day at 12:00, 2024-02-20 … 2024-03-15 (steady: 13 in the baseline, 1 recent)
 *  B 10.0.0.2:139  one record 2024-03-05T12:00, sixty at 2024-03-13T06:00 (a burst)
 *  C 10.0.0.3:445  two records 2024-03-02T00:00, four at exactly 2024-03-14T00:00 (a step time and, a day later,
 *                  the baseline/recent boundary)
 *  D 10.0.0.4:445  one record at exactly 2024-02-26T00:00 (= 2024-03-11 − 14d), fifty-five at 2024-03-10T12:00
 *  E 8.8.8.8:445   a public source: one 2024-03-01, a hundred 2024-03-12T12:00 (never passes)
 */
export function backtestFixtureRecords(): AsimRecord[] {
  const steady: AsimRecord[] = [];
  for (let t = at('2024-02-20T12:00:00Z'); t <= at('2024-03-15T12:00:00Z'); t += DAY_US) steady.push(...smb('10.0.0.1', 445, t));
  return [
    ...steady,
    ...smb('10.0.0.2', 139, at('2024-03-05T12:00:00Z')),
    ...smb('10.0.0.2', 139, at('2024-03-13T06:00:00Z'), 60),
    ...smb('10.0.0.3', 445, at('2024-03-02T00:00:00Z'), 2),
    ...smb('10.0.0.3', 445, at('2024-03-14T00:00:00Z'), 4),
    ...smb('10.0.0.4', 445, at('2024-02-26T00:00:00Z')),
    ...smb('10.0.0.4', 445, at('2024-03-10T12:00:00Z'), 55),
    ...smb('8.8.8.8', 445, at('2024-03-01T00:00:00Z')),
    ...smb('8.8.8.8', 445, at('2024-03-12T12:00:00Z'), 100),
  ];
}
