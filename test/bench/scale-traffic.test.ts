/**
 * The scale benchmark fills its largest stores by SQL instead of ingesting files: that is only a fair measurement if
 * the store holds exactly what an ingest of the generated Zeek logs holds. Checked on a few hours of a small size —
 * hours holding the planted bursts included —, every column of every record, read both ways (bulk and line reader).
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { ASIM_COLUMNS } from '../../src/asim/schema.js';
import { copyHourSql, firstRecordOfHour, hourRecordsSql, PLANTED_RECORDS, SCALE_HOURS, scaleBulkPlan } from '../../src/bench/scale-traffic.js';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const TOTAL = 50_000;
/** The first hour, the hour of the planted quiet connections (5 days before the end) and the hour of the bursts. */
const HOURS = [0, SCALE_HOURS - 5 * 24, SCALE_HOURS - 12];

async function allRows(store: DuckDbStore): Promise<string[]> {
  const result = await store.query(`SELECT ${ASIM_COLUMNS.map((c) => `"${c.name}"`).join(', ')} FROM ASimNetworkSessionLogs`);
  return result.rows.map((row) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
}

describe('the scale traffic', () => {
  it('generated into the store equals an ingest of its Zeek logs, by either reader', async () => {
    const dir = tempDir();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const files = HOURS.map((hour) => join(dir, `hour-${hour}.log.gz`));
    for (const [index, hour] of HOURS.entries()) await connection.run(copyHourSql(TOTAL, hour, files[index]!));
    connection.closeSync();
    instance.closeSync();

    const generated = await openDuckDbStore(join(dir, 'generated.duckdb'));
    const plan = await scaleBulkPlan();
    for (const hour of HOURS) {
      await generated.appendMapped(plan, `(${hourRecordsSql(TOTAL, hour)})`);
    }
    const expected = await allRows(generated);
    await generated.close();
    const records = HOURS.reduce((sum, hour) => sum + firstRecordOfHour(TOTAL, hour + 1) - firstRecordOfHour(TOTAL, hour), 0);
    // These hours hold every planted record: the ten quiet connections and the bursts.
    expect(expected).toHaveLength(records + PLANTED_RECORDS);
    expect(expected.filter((row) => row.includes('"10.250.0.'))).toHaveLength(PLANTED_RECORDS);

    for (const bulk of [true, false]) {
      const store = await openDuckDbStore(join(dir, `ingested-${bulk}.duckdb`));
      const outcomes = (await runIngest(store, files, { parse: {}, bulk })).outcomes;
      expect(outcomes.map((o) => [o.status, o.rejects, o.reader])).toEqual(files.map(() => ['ingested', 0, bulk ? 'bulk' : 'lines']));
      expect(await allRows(store)).toEqual(expected);
      await store.close();
    }
  });
});
