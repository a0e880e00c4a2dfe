import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { EMPTY_LAYOUT, widenLayout } from '../../src/store/duckdb-packing.js';
import type { AsimRecord } from '../../src/asim/record.js';
import type { LedgerEntry } from '../../src/store/engine.js';

const ENTRY: LedgerEntry = {
  name: 'x', format: 'test', size: 0, offsetReached: 0, lineReached: 0, contentHash: '', records: 0, rejects: 0, ignored: 0,
  ingestedAt: new Date('2024-01-01T00:00:00Z'),
};

const COLUMNS = ['TimeGenerated', 'SrcIpAddr', 'EventVendor', 'DstPortNumber', 'SrcBytes', 'SrcGeoLatitude', 'TcpFlagsSyn', 'AdditionalFields'] as const;

async function roundTrip(records: readonly AsimRecord[]): Promise<unknown[][]> {
  const store = await openDuckDbStore(':memory:');
  const tx = await store.beginIngest();
  await tx.appendRecords(records);
  await tx.commit(ENTRY);
  const result = await store.query(
    `SELECT epoch_us(TimeGenerated), SrcIpAddr, EventVendor, DstPortNumber, SrcBytes, SrcGeoLatitude, TcpFlagsSyn, AdditionalFields::VARCHAR
     FROM ASimNetworkSessionLogs ORDER BY epoch_us(TimeGenerated), SrcIpAddr`,
  );
  await store.close();
  return result.rows.map((row) => [...row]);
}

function expected(record: AsimRecord): unknown[] {
  return COLUMNS.map((name) => {
    const value = record[name];
    if (value === undefined) return name === 'SrcIpAddr' || name === 'EventVendor' ? '' : null;
    return value;
  });
}

describe('packing records into DuckDB', () => {
  it('keeps strings with separators, quotes, newlines and unicode intact', async () => {
    const awkward = ['a\u001fb', '\u001e[1]', 'say "hi"', 'line\nbreak', 'tab\there', 'ünïcødé ✓', "o'brien", '\\x09'];
    const records = awkward.map((text, i) => ({ TimeGenerated: i, SrcIpAddr: text, EventVendor: 'V' }));
    const rows = await roundTrip(records);
    expect(rows.map((row) => row[1])).toEqual(awkward);
  });

  it('a value that stops being constant in a later chunk is stored per record', async () => {
    const records = Array.from({ length: 5000 }, (_, i) => ({ TimeGenerated: i, SrcIpAddr: '10.0.0.1', EventVendor: i < 4500 ? 'Corelight' : 'Other' }));
    const rows = await roundTrip(records);
    expect(rows.filter((row) => row[2] === 'Corelight')).toHaveLength(4500);
    expect(rows.filter((row) => row[2] === 'Other')).toHaveLength(500);
  });

  it('widenLayout: constants while equal, varying once they differ or go missing', () => {
    const a = widenLayout(EMPTY_LAYOUT, [{ EventVendor: 'X', SrcIpAddr: '1' }, { EventVendor: 'X', SrcIpAddr: '2' }]);
    expect(a.varying).toEqual(['SrcIpAddr']);
    expect([...a.constants]).toEqual([['EventVendor', 'X']]);
    expect(widenLayout(a, [{ EventVendor: 'X', SrcIpAddr: '3' }])).toBe(a);
    const b = widenLayout(a, [{ SrcIpAddr: '3' }]);
    expect(b.varying).toEqual(['EventVendor', 'SrcIpAddr']);
    expect(b.constants.size).toBe(0);
  });

  it('any records round-trip exactly (property)', async () => {
    const record = fc.record(
      {
        TimeGenerated: fc.integer({ min: 0, max: 4_102_444_800_000_000 }),
        SrcIpAddr: fc.string(),
        EventVendor: fc.constantFrom('A', 'B', ''),
        DstPortNumber: fc.option(fc.integer({ min: -2147483648, max: 2147483647 })),
        SrcBytes: fc.option(fc.maxSafeInteger()),
        SrcGeoLatitude: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
        TcpFlagsSyn: fc.option(fc.boolean()),
        AdditionalFields: fc.option(fc.jsonValue().map((v) => JSON.stringify(v))),
      },
      { requiredKeys: ['TimeGenerated'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 40 }), async (records) => {
        const rows = await roundTrip(records);
        const want = records.map(expected);
        const normalise = (row: unknown[]) => JSON.stringify(row.map((v, i) => (i === 7 && typeof v === 'string' ? JSON.stringify(JSON.parse(v)) : Object.is(v, -0) ? 0 : v)));
        expect(rows.map(normalise).sort()).toEqual(want.map(normalise).sort());
      }),
      { numRuns: 40 },
    );
  });
});
