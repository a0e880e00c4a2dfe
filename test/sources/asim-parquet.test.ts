import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asimParquet } from '../../src/sources/asim-parquet.js';
import { inputFromFile } from '../../src/sources/input.js';
import type { ParseEvent } from '../../src/sources/types.js';
import { brief, collect, sniffText } from '../asim/collect.js';

// Epoch seconds from `date -u -d "<time> UTC" +%s`, in µs.
const T_141644 = 1_688_566_604_000_000; // 2023-07-05 14:16:44 UTC
const T_121644 = 1_688_559_404_000_000; // 2023-07-05 12:16:44 UTC
const T_MIDNIGHT = 1_688_515_200_000_000; // 2023-07-05 00:00:00 UTC

let dir = '';
let duckdb: DuckDBInstance;

/** Writes a Parquet fixture with DuckDB. The path is ours (a temp dir), quoted as an SQL literal. */
async function writeParquet(name: string, select: string): Promise<string> {
  const path = join(dir, name);
  const connection = await duckdb.connect();
  try {
    await connection.run(`COPY (${select}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
  }
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "smbwatch-parquet-o'quote-"));
  duckdb = await DuckDBInstance.create(':memory:', { threads: '1' });
});

afterAll(() => {
  duckdb.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('asim-parquet', () => {
  it('types Parquet columns again: a port stored as "445", bigint bytes, a struct as dynamic; rejects by row', async () => {
    const path = await writeParquet(
      'typed.parquet',
      `SELECT * FROM (VALUES
         (TIMESTAMP '2023-07-05 14:16:44.756123', '10.0.0.5', '445', 1200::BIGINT, true, 47.5::DOUBLE, {'share': 'ADMIN$'}, 'NetworkSession', 'tenant-1', 3),
         (TIMESTAMP '2023-07-05 14:16:45', '10.0.0.6', 'smb', NULL, NULL, NULL, NULL, 'NetworkSession', 'tenant-1', NULL),
         (NULL, '10.0.0.7', '139', NULL, false, NULL, NULL, 'NetworkSession', 'tenant-1', 1)
       ) AS t(TimeGenerated, SrcIpAddr, DstPortNumber, SrcBytes, TcpFlagsSyn, DstGeoLatitude, AdditionalFields, EventSchema, TenantId, EventCount)`,
    );
    const events = await collect(asimParquet, inputFromFile(path));
    expect(brief(events)).toEqual([
      {
        kind: 'record',
        line: 1,
        record: {
          TimeGenerated: T_141644 + 756_123,
          SrcIpAddr: '10.0.0.5',
          DstPortNumber: 445,
          SrcBytes: 1200,
          TcpFlagsSyn: true,
          DstGeoLatitude: 47.5,
          AdditionalFields: '{"share":"ADMIN$"}',
          EventSchema: 'NetworkSession',
          EventCount: 3,
        },
      },
      { kind: 'reject', line: 2, field: 'DstPortNumber', reason: 'DstPortNumber: "smb" is not an int (32-bit)' },
      { kind: 'reject', line: 3, field: 'TimeGenerated', reason: 'TimeGenerated is missing or empty: every record needs its time' },
    ]);
    const reject = events[1];
    expect(reject?.kind === 'reject' && JSON.parse(reject.raw)).toEqual({
      TimeGenerated: '2023-07-05T14:16:45.000000Z',
      SrcIpAddr: '10.0.0.6',
      DstPortNumber: 'smb',
      SrcBytes: null,
      TcpFlagsSyn: null,
      DstGeoLatitude: null,
      AdditionalFields: null,
      EventSchema: 'NetworkSession',
      EventCount: null,
    });
  });

  it('reads time zone aware, nanosecond and date columns exactly; decimals and lists; refuses longs beyond 2^53', async () => {
    const path = await writeParquet(
      'times.parquet',
      `SELECT * FROM (VALUES
         (TIMESTAMPTZ '2023-07-05 14:16:44.756+02', '2023-07-05 14:16:44.123456789'::TIMESTAMP_NS, DATE '2023-07-05', 1.50::DECIMAL(5,2), [1, 2], 5000000000::BIGINT),
         (TIMESTAMPTZ '2023-07-05 14:16:44+00', NULL, NULL, NULL, NULL, 9007199254740993::BIGINT)
       ) AS t(TimeGenerated, EventStartTime, EventEndTime, DstGeoLongitude, EventMessage, DstBytes)`,
    );
    expect(brief(await collect(asimParquet, inputFromFile(path)))).toEqual([
      {
        kind: 'record',
        line: 1,
        record: {
          TimeGenerated: T_121644 + 756_000,
          EventStartTime: T_141644 + 123_456,
          EventEndTime: T_MIDNIGHT,
          DstGeoLongitude: 1.5,
          EventMessage: '[1,2]',
          DstBytes: 5_000_000_000,
        },
      },
      {
        kind: 'reject',
        line: 2,
        field: 'DstBytes',
        reason: 'DstBytes: 9007199254740993 is out of range for a long within ±(2^53-1)',
      },
    ]);
  });

  it('streams chunk by chunk and numbers rows across chunks', async () => {
    const path = await writeParquet(
      'many.parquet',
      `SELECT TIMESTAMP '2023-07-05 00:00:00' + to_seconds(i) AS TimeGenerated,
              CASE WHEN i = 3999 THEN 'x' ELSE CAST(i % 1000 AS VARCHAR) END AS DstPortNumber
       FROM range(5000) AS r(i) ORDER BY i`,
    );
    const batches: ParseEvent[][] = [];
    for await (const batch of asimParquet.parse(inputFromFile(path), {})) batches.push(batch);
    expect(batches.length).toBeGreaterThan(1);
    const events = batches.flat();
    expect(events).toHaveLength(5000);
    expect(events.map((event) => event.line)).toEqual(Array.from({ length: 5000 }, (_, index) => index + 1));
    const rejects = events.filter((event) => event.kind === 'reject');
    expect(brief(rejects)).toEqual([{ kind: 'reject', line: 4000, field: 'DstPortNumber', reason: 'DstPortNumber: "x" is not an int (32-bit)' }]);
    expect(events[4999]).toEqual({ kind: 'record', line: 5000, record: { TimeGenerated: T_MIDNIGHT + 4999 * 1_000_000, DstPortNumber: 999 } });
  });

  it('refuses a Parquet file without TimeGenerated with a clear error', async () => {
    const path = await writeParquet('no-time.parquet', `SELECT '10.0.0.5' AS SrcIpAddr, 445 AS DstPortNumber`);
    await expect(collect(asimParquet, inputFromFile(path))).rejects.toThrow('the Parquet file has no TimeGenerated column');
  });

  it('sniffs the Parquet magic, and only that', async () => {
    const path = await writeParquet('sniff.parquet', `SELECT TIMESTAMP '2023-07-05 00:00:00' AS TimeGenerated`);
    expect(sniffText(asimParquet, readFileSync(path))).toBe('match');
    expect(sniffText(asimParquet, 'TimeGenerated,SrcIpAddr\n')).toBe('no');
    expect(sniffText(asimParquet, 'PAR')).toBe('no');
  });
});
