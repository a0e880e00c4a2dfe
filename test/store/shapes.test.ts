/**
 * Derived columns (duckdb-shapes.ts): a bulk read stores only what its mapping cannot derive, and the view shows the
 * same records as if every column were stored — checked against the line reader in one store, across inputs sharing
 * a shape, and after reopening.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ASIM_COLUMNS } from '../../src/asim/schema.js';
import { runIngest } from '../../src/ingest/run.js';
import { planZeekBulk } from '../../src/sources/zeek-bulk.js';
import type { BulkValue } from '../../src/sources/types.js';
import { openDuckDbStore, SESSIONS_TABLE, type DuckDbStore } from '../../src/store/duckdb.js';
import { SHAPES_TABLE, splitMapping } from '../../src/store/duckdb-shapes.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();

async function zeekMapping(): Promise<Record<string, BulkValue>> {
  const verdict = await planZeekBulk(Readable.from([Buffer.from(zeekConnTsv(2))]), 0);
  return { ...verdict.plan!.mapping };
}

async function viewRows(store: DuckDbStore, where = 'true'): Promise<string[]> {
  const columns = ASIM_COLUMNS.filter((c) => c.name !== 'EventOriginalUid').map((c) => `"${c.name}"`);
  const result = await store.query(`SELECT ${columns.join(', ')} FROM ASimNetworkSessionLogs WHERE ${where}`);
  return result.rows.map((row) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
}

describe('derived columns', () => {
  it('the Zeek conn mapping stores each value once: constants, copies and lookups of a stored lookup are derived', async () => {
    const { stored, derived } = splitMapping(await zeekMapping());
    expect(derived.EventProduct).toEqual({ kind: 'const', value: 'Zeek' });
    expect(derived.EventCount).toEqual({ kind: 'const', value: 1 });
    expect(derived.Src).toEqual({ kind: 'copy', of: 'SrcIpAddr' });
    expect(derived.IpAddr).toEqual({ kind: 'copy', of: 'SrcIpAddr' });
    expect(derived.Dst).toEqual({ kind: 'copy', of: 'DstIpAddr' });
    expect(derived.EventStartTime).toEqual({ kind: 'copy', of: 'TimeGenerated' });
    // The four conn_state lookups: only the descriptions tell every state apart, so they are stored.
    expect(Object.keys(stored)).toContain('EventOriginalResultDetails');
    expect(derived.EventResult).toMatchObject({ kind: 'lookup', of: 'EventOriginalResultDetails' });
    expect(derived.EventSeverity).toMatchObject({ kind: 'lookup', of: 'EventOriginalResultDetails' });
    // '' for a string and null otherwise are what a column nobody stores shows: neither stored nor derived.
    for (const column of ['Dvc', 'SrcMacAddr', 'NetworkSessionId']) {
      expect(stored[column]).toBeUndefined();
      expect(derived[column]).toBeUndefined();
    }
    expect(Object.keys(stored).sort()).toEqual(
      ['TimeGenerated', 'EventOriginalResultDetails', 'EventOriginalUid', 'NetworkApplicationProtocol', 'NetworkProtocol', 'NetworkDirection',
        'NetworkDuration', 'NetworkConnectionHistory', 'SrcBytes', 'DstBytes', 'NetworkBytes', 'SrcPackets', 'DstPackets', 'NetworkPackets',
        'SrcIpAddr', 'SrcPortNumber', 'DstIpAddr', 'DstPortNumber'].sort(),
    );
  });

  it('a lookup whose results do not tell its keys apart is stored; copies need the same type', () => {
    const table = new Map([['a', 'x'], ['b', 'x']]);
    const { stored, derived } = splitMapping({
      EventResult: { op: 'lookup', field: 'state', table },
      EventResultDetails: { op: 'lookup', field: 'state', table: new Map([['a', 'y'], ['b', '']]) },
      SrcPortNumber: { op: 'cell', field: 'p', as: 'port' },
      DstPortNumber: { op: 'cell', field: 'p', as: 'port' },
    });
    expect(Object.keys(stored)).toEqual(['EventResult', 'EventResultDetails', 'SrcPortNumber']);
    expect(derived).toEqual({ DstPortNumber: { kind: 'copy', of: 'SrcPortNumber' } });
  });

  it('in one store, rows read in bulk (derived) and by lines (stored) look the same; inputs with one header share a shape', async () => {
    const dir = tempDir();
    const db = join(dir, 'mixed.duckdb');
    // Same records, other uids (the ledger would see the same content as a duplicate).
    const files = ['a', 'b', 'c'].map((name) => {
      const path = join(dir, `${name}.log`);
      writeFileSync(path, zeekConnTsv(40).replaceAll(/\tC(\d+)x\t/g, `\tC$1${name}\t`));
      return path;
    });
    let store = await openDuckDbStore(db);
    const bulk = await runIngest(store, [files[0]!, files[1]!], { parse: {} });
    const lines = await runIngest(store, [files[2]!], { parse: {}, bulk: false });
    expect([...bulk.outcomes, ...lines.outcomes].map((o) => o.reader)).toEqual(['bulk', 'bulk', 'lines']);
    expect((await store.query(`SELECT count(*) FROM ${SHAPES_TABLE}`)).rows[0]![0]).toBe(1);
    const physical = await store.query(`SELECT count(*) FROM ${SESSIONS_TABLE} WHERE "_shape" IS NULL`);
    expect(physical.rows[0]![0]).toBe(40);

    const check = async (): Promise<void> => {
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => viewRows(store, `EventOriginalUid LIKE '%${name}'`)));
      expect(a).toHaveLength(40);
      expect(a).toEqual(c);
      expect(b).toEqual(c);
      const sample = await store.query(`SELECT Src, IpAddr, Dst, EventProduct, EventCount, EventResult, EventSeverity, EventStartTime = TimeGenerated, Dvc FROM ASimNetworkSessionLogs LIMIT 1`);
      expect(sample.rows[0]).toEqual(['10.0.5.21', '10.0.5.21', '10.0.1.10', 'Zeek', 1, 'Success', 'Informational', true, '']);
    };
    await check();
    await store.close();
    store = await openDuckDbStore(db);
    await check();
    await store.close();
  });
});
