import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { ASIM_COLUMNS, ASIM_TABLE } from '../../src/asim/schema.js';
import { isoToMicros } from '../../src/util/time.js';
import type { LedgerEntry } from '../../src/store/engine.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

function entry(name: string, records: number): LedgerEntry {
  return {
    name,
    format: 'test',
    size: 10,
    offsetReached: 10,
    lineReached: 2,
    contentHash: 'abc',
    records,
    rejects: 0,
    ignored: 0,
    ingestedAt: new Date('2024-03-04T10:00:00Z'),
  };
}

describe('DuckDB store', () => {
  it('shows every schema column typed as the schema says', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'a.duckdb'));
    const result = await store.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '${ASIM_TABLE}' ORDER BY ordinal_position`,
    );
    expect(result.rows.map((row) => row[0])).toEqual(ASIM_COLUMNS.map((column) => column.name));
    const typeOf = new Map(result.rows.map((row) => [row[0], row[1]]));
    expect(typeOf.get('TimeGenerated')).toBe('TIMESTAMP');
    expect(typeOf.get('DstPortNumber')).toBe('INTEGER');
    expect(typeOf.get('SrcBytes')).toBe('BIGINT');
    expect(typeOf.get('SrcGeoLatitude')).toBe('DOUBLE');
    expect(typeOf.get('TcpFlagsSyn')).toBe('BOOLEAN');
    expect(typeOf.get('SrcIpAddr')).toBe('VARCHAR');
    const strings = await store.query(`SELECT count(*) FROM ${ASIM_TABLE} WHERE SrcIpAddr IS NULL OR DvcAction IS NULL`);
    expect(strings.rows[0]![0]).toBe(0);
    await store.close();
  });

  it('stores records with microsecond times, "" for absent strings and null for absent numbers', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'b.duckdb'));
    const tx = await store.beginIngest();
    await tx.appendRecords([
      { TimeGenerated: isoToMicros('2024-03-04T09:00:01.123456Z'), SrcIpAddr: '10.0.5.21', DstPortNumber: 445, SrcBytes: 2 ** 40 },
      { TimeGenerated: isoToMicros('2024-03-04T09:00:02Z'), SrcIpAddr: '10.0.5.22' },
    ]);
    await tx.commit(entry('x', 2));
    const result = await store.query(
      `SELECT strftime(TimeGenerated, '%Y-%m-%dT%H:%M:%S.%fZ'), SrcIpAddr, DstIpAddr, DstPortNumber, SrcBytes FROM ${ASIM_TABLE} ORDER BY TimeGenerated`,
    );
    expect(result.rows).toEqual([
      ['2024-03-04T09:00:01.123456Z', '10.0.5.21', '', 445, 2 ** 40],
      ['2024-03-04T09:00:02.000000Z', '10.0.5.22', '', null, null],
    ]);
    expect((await store.lastLedgerEntry('x'))?.records).toBe(2);
    await store.close();
  });

  it('a rolled-back ingest leaves nothing behind, across more than one staged batch', async () => {
    const path = join(tempDir(), 'c.duckdb');
    const store = await openDuckDbStore(path);
    const tx = await store.beginIngest();
    const many = Array.from({ length: 140_000 }, (_, i) => ({ TimeGenerated: i * 1_000_000, SrcIpAddr: `10.0.0.${i % 250}` }));
    await tx.appendRecords(many);
    await tx.appendRejects([{ input: 'x', line: 1, format: 'test', field: 'ts', reason: 'bad', raw: 'zz' }]);
    await tx.rollback();
    const counts = await store.query(`SELECT (SELECT count(*) FROM ${ASIM_TABLE}), (SELECT count(*) FROM smbwatch_rejects), (SELECT count(*) FROM smbwatch_inputs)`);
    expect(counts.rows[0]).toEqual([0, 0, 0]);
    expect(await store.lastLedgerEntry('x')).toBeUndefined();
    await store.close();
  });
});
