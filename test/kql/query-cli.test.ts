/**
 * The seed rule through `smbwatch query --at T` over a DuckDB store file, on both engines (ClickHouse reads the
 * store through a Parquet copy). Fixture rows are made here; expectations are worked out by hand below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { AsimRecord } from '../../src/asim/record.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { isoToMicros } from '../../src/util/time.js';

const here = dirname(fileURLToPath(import.meta.url));
const SEED_RULE = join(here, '../fixtures/kql/seed-rule-1.0.0.kql');
const AT = '2024-03-15T00:00:00Z'; // ago(14d) = 2024-03-01, ago(1d) = 2024-03-14

/** [TimeGenerated, SrcIpAddr, DstIpAddr, DstPortNumber, copies] */
const FIXTURE: Array<[string, string, string, number | null, number]> = [
  // A: baseline 1, recent 60 → |60 − 1| / 1 = 59 > 50 → alert (10.0.0.1, 445, 59, 60)
  ['2024-03-10T00:00:00Z', '10.0.0.1', '10.0.0.2', 445, 1],
  ['2024-03-14T12:00:00Z', '10.0.0.1', '10.0.0.2', 445, 60],
  // B: port 1445 is not the term 445 → nothing
  ['2024-03-10T00:00:00Z', '10.0.0.5', '10.0.0.2', 1445, 1],
  ['2024-03-14T12:00:00Z', '10.0.0.5', '10.0.0.2', 1445, 60],
  // C: the row exactly at now − 1d counts in both windows: baseline 1, recent 1 + 50 = 51 → 50, not > 50
  ['2024-03-14T00:00:00Z', '10.0.0.6', '10.0.0.2', 445, 1],
  ['2024-03-14T06:00:00Z', '10.0.0.6', '10.0.0.2', 445, 50],
  // D: public source → ipv4_is_private false → nothing
  ['2024-03-10T00:00:00Z', '8.8.8.8', '10.0.0.2', 445, 1],
  ['2024-03-14T12:00:00Z', '8.8.8.8', '10.0.0.2', 445, 60],
  // E: missing destination ("") still differs from the source: baseline 2, recent 120 → 59 → alert
  ['2024-03-02T00:00:00Z', '10.0.0.7', '', 139, 2],
  ['2024-03-14T23:59:59Z', '10.0.0.7', '', 139, 120],
  // F: baseline only before now − 14d → no baseline → dropped by the inner join
  ['2024-02-29T23:59:59Z', '10.0.0.8', '10.0.0.2', 445, 1],
  ['2024-03-14T12:00:00Z', '10.0.0.8', '10.0.0.2', 445, 100],
];

const EXPECTED = [
  { SrcIpAddr: '10.0.0.1', DstPortNumber: 445, Deviation: 59, Count: 60 },
  { SrcIpAddr: '10.0.0.7', DstPortNumber: 139, Deviation: 59, Count: 120 },
];

let dir: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-kql-'));
  db = join(dir, 'store.duckdb');
  const records: AsimRecord[] = FIXTURE.flatMap(([time, src, dst, port, copies]) =>
    Array.from({ length: copies }, () => ({ TimeGenerated: isoToMicros(time), SrcIpAddr: src, DstIpAddr: dst, DstPortNumber: port })),
  );
  const store = await openDuckDbStore(db);
  try {
    const ingest = await store.beginIngest();
    await ingest.appendRecords(records);
    await ingest.commit({
      name: 'kql-fixture', format: 'test', size: 0, offsetReached: 0, lineReached: 0, contentHash: 'kql-fixture',
      records: records.length, rejects: 0, ignored: 0, ingestedAt: new Date(0),
    });
  } finally {
    await store.close();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'smbwatch', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

const byKey = (rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> =>
  [...rows].sort((a, b) => String(a.SrcIpAddr).localeCompare(String(b.SrcIpAddr)));

describe('smbwatch query: the seed rule over a store', () => {
  for (const engine of ['duckdb', 'clickhouse']) {
    it(`returns the hand-computed alerts on ${engine}`, async () => {
      const { code, stdout, stderr } = await runCli(['query', '--db', db, '--at', AT, '--engine', engine, '--output', 'json', '--file', SEED_RULE]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(byKey(JSON.parse(stdout) as Array<Record<string, unknown>>)).toEqual(EXPECTED);
    });
  }

  it('prints the SQL with --show-sql and a table by default', async () => {
    const { code, stdout, stderr } = await runCli(['query', '--db', db, '--at', AT, '--show-sql', '--file', SEED_RULE]);
    expect(code).toBe(0);
    expect(stderr).toContain('"DstPortNumber" IN (139, -139, 445, -445)');
    expect(stdout).toMatch(/SrcIpAddr\s+DstPortNumber\s+Deviation\s+Count/);
    expect(stdout).toContain('(2 rows)');
  });

  it('runs a self-contained query without a store, as csv and jsonl', async () => {
    const missing = join(dir, 'missing.duckdb');
    const csv = await runCli(['query', '--db', missing, '--output', 'csv', 'print a = "x,y", b = 1/2, c = real(nan)']);
    expect(csv.stdout).toBe('a,b,c\n"x,y",0,NaN\n');
    const jsonl = await runCli(['query', '--db', missing, '--engine', 'clickhouse', '--output', 'jsonl', 'print a = "x,y", b = 1/2, c = real(nan)']);
    expect(jsonl.stdout).toBe('{"a":"x,y","b":0,"c":"NaN"}\n');
  });

  it('reports a KQL error with line, column and caret, and exit code 1', async () => {
    const { code, stderr } = await runCli(['query', '--db', db, 'print x = 1\n| where nosuch > 1']);
    expect(code).toBe(1);
    expect(stderr).toContain('line 2, column 9');
    expect(stderr).toContain('| where nosuch > 1\n          ^^^^^^');
  });
});
