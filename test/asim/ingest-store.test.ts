/**
 * End to end through the real pipeline and a real DuckDB store: native ASIM inputs are detected, their typed
 * values land in the store as typed columns, and their rejects are kept with line and field.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { FIXTURES } from './collect.js';

const dirs: string[] = [];
const stores: DuckDbStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function freshStore(): Promise<{ store: DuckDbStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'smbwatch-asim-ingest-'));
  dirs.push(dir);
  const store = await openDuckDbStore(join(dir, 'store.duckdb'));
  stores.push(store);
  return { store, dir };
}

describe('native ASIM inputs through ingest into DuckDB', () => {
  it('stores JSON lines, JSON array and CSV records typed, and their rejects with line and field', async () => {
    const { store, dir } = await freshStore();
    const files = ['sessions.jsonl', 'sessions-array.json', 'la-export-utc.csv'].map((name) => {
      const path = join(dir, name);
      copyFileSync(resolve(FIXTURES, name), path);
      return path;
    });
    const result = await runIngest(store, files, { parse: {} });
    expect(result.outcomes.map((outcome) => [outcome.format, outcome.status, outcome.records, outcome.rejects])).toEqual([
      ['asim-jsonl', 'ingested', 4, 4],
      ['asim-json-array', 'ingested', 2, 4],
      ['asim-csv', 'ingested', 3, 5],
    ]);

    const typed = await store.query(
      `SELECT SrcIpAddr, DstPortNumber, epoch_us(TimeGenerated), AdditionalFields::VARCHAR, TcpFlagsSyn, EventMessage
       FROM ASimNetworkSessionLogs WHERE SrcIpAddr IN ('10.0.0.6') ORDER BY TimeGenerated`,
    );
    expect(typed.rows).toEqual([
      ['10.0.0.6', 445, 1_688_566_604_756_123, null, null, ''],
      ['10.0.0.6', 139, 1_688_566_605_000_000, null, null, 'copy \\\\fs1\\share, then\nclose'],
    ]);

    const rejects = await store.query(`SELECT format, line, field FROM smbwatch_rejects WHERE format = 'asim-csv' ORDER BY line`);
    expect(rejects.rows).toEqual([
      ['asim-csv', 6, 'DstPortNumber'],
      ['asim-csv', 7, 'TimeGenerated'],
      ['asim-csv', 8, ''],
      ['asim-csv', 10, 'TcpFlagsSyn'],
      ['asim-csv', 11, ''],
    ]);
  });

  it('stores Parquet records typed', async () => {
    const { store, dir } = await freshStore();
    const path = join(dir, 'sessions.parquet');
    const duckdb = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await duckdb.connect();
    await connection.run(
      `COPY (SELECT TIMESTAMP '2023-07-05 14:16:44.756123' AS TimeGenerated, '10.0.0.5' AS SrcIpAddr, '445' AS DstPortNumber, 'x' AS TenantId)
       TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
    );
    connection.closeSync();
    duckdb.closeSync();
    const result = await runIngest(store, [path], { parse: {} });
    expect(result.outcomes.map((outcome) => [outcome.format, outcome.records, outcome.rejects])).toEqual([['asim-parquet', 1, 0]]);
    const rows = await store.query(`SELECT SrcIpAddr, DstPortNumber, epoch_us(TimeGenerated) FROM ASimNetworkSessionLogs`);
    expect(rows.rows).toEqual([['10.0.0.5', 445, 1_688_566_604_756_123]]);
  });

  it('applies the timezone option to [Local Time] exports', async () => {
    const { store, dir } = await freshStore();
    const path = join(dir, 'local.csv');
    copyFileSync(resolve(FIXTURES, 'la-export-local.csv'), path);
    const result = await runIngest(store, [path], { parse: { timezone: 'Europe/Berlin' } });
    expect(result.outcomes.map((outcome) => [outcome.format, outcome.records, outcome.rejects])).toEqual([['asim-csv', 2, 0]]);
    const times = await store.query(`SELECT epoch_us(TimeGenerated) FROM ASimNetworkSessionLogs ORDER BY TimeGenerated`);
    expect(times.rows).toEqual([[1_679_794_200_000_000], [1_688_559_404_756_000]]);
  });
});
