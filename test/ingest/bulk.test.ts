/**
 * The bulk path (DuckDB's CSV reader with the declarative Zeek mapping) must give exactly what the line reader
 * gives, or step aside. Each test ingests the same content both ways and compares every column of every row.
 */
import { appendFileSync, copyFileSync, createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASIM_COLUMNS } from '../../src/asim/schema.js';
import { runIngest } from '../../src/ingest/run.js';
import type { InputOutcome } from '../../src/ingest/ingest-input.js';
import { writeZeekConnLog } from '../../src/bench/zeek-generator.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { planZeekBulk } from '../../src/sources/zeek-bulk.js';
import { useTempDir } from '../helpers/tmp.js';
import { REAL_DATA } from '../helpers/real.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/zeek/${name}`, import.meta.url));
const REAL = REAL_DATA;

/** Ingests the same file with and without the bulk path; every column of every record, sorted, for each. */
async function ingestBothWays(path: string): Promise<{ bulk: InputOutcome; lines: InputOutcome; bulkRows: string[]; lineRows: string[] }> {
  const dir = tempDir();
  const read = async (bulk: boolean) => {
    const store = await openDuckDbStore(join(dir, `${bulk ? 'bulk' : 'lines'}.duckdb`));
    const outcome = (await runIngest(store, [path], { parse: {}, bulk })).outcomes[0]!;
    const all = await store.query(`SELECT ${ASIM_COLUMNS.map((c) => `"${c.name}"`).join(', ')} FROM ASimNetworkSessionLogs`);
    await store.close();
    return { outcome, rows: all.rows.map((row) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort() };
  };
  const bulk = await read(true);
  const lines = await read(false);
  return { bulk: bulk.outcome, lines: lines.outcome, bulkRows: bulk.rows, lineRows: lines.rows };
}

describe('bulk read of Zeek conn TSV', () => {
  it('reads a plain conn.log with DuckDB and gives the same records as the line reader', async () => {
    const result = await ingestBothWays(fixture('conn-basic.log'));
    expect(result.bulk).toMatchObject({ reader: 'bulk', records: 3, rejects: 0 });
    expect(result.lines).toMatchObject({ reader: 'lines', records: 3 });
    expect(result.bulkRows).toEqual(result.lineRows);
  });

  it('agrees on real logs with extra columns (Stratosphere) and on a generated week of traffic', async () => {
    const stratosphere = await ingestBothWays(join(REAL, 'stratosphere/008-zeek-mixed_conn.log.labeled'));
    expect(stratosphere.bulk).toMatchObject({ reader: 'bulk', records: 5663 });
    expect(stratosphere.bulkRows).toEqual(stratosphere.lineRows);

    const generated = join(tempDir(), 'generated.log');
    await writeZeekConnLog(generated, 20_000);
    const week = await ingestBothWays(generated);
    expect(week.bulk).toMatchObject({ reader: 'bulk', records: 20_000 });
    expect(week.bulkRows).toEqual(week.lineRows);
  });

  it('reads a gzipped conn.log in bulk too', async () => {
    const path = join(tempDir(), 'conn.log.gz');
    writeFileSync(path, gzipSync(zeekConnTsv(5)));
    const result = await ingestBothWays(path);
    expect(result.bulk).toMatchObject({ reader: 'bulk', records: 5 });
    expect(result.bulkRows).toEqual(result.lineRows);
  });

  it.each([
    ['several header blocks', () => zeekConnTsv(2) + zeekConnTsv(2, 60000), /#|backslash/],
    ['a # line inside the data', () => zeekConnTsv(3).replace('\n1709542801.000001', '\n#note\n1709542801.000001'), /#/],
    ['escaped bytes', () => zeekConnTsv(2).replace('\tsmb\t', '\tsm\\x09b\t'), /backslash/],
    ['CRLF line ends', () => zeekConnTsv(2).replaceAll('\n', '\r\n'), /carriage/],
    ['a blank line', () => zeekConnTsv(2).replace('\n1709542801.000001', '\n\n1709542801.000001'), /blank/],
  ])('hands %s to the line reader (with the same result)', async (_, content, why) => {
    const path = join(tempDir(), 'conn.log');
    writeFileSync(path, content());
    const result = await ingestBothWays(path);
    expect(result.bulk.reader).toBe('lines');
    expect(result.bulk.bulkRefusal).toMatch(why);
    expect(result.bulkRows).toEqual(result.lineRows);
  });

  it.each([
    ['a port out of range', (t: string) => t.replace('\t445\t', '\t70000\t')],
    ['a non-numeric byte count', (t: string) => t.replace('\t100\t200\t', '\tlots\t200\t')],
    ['an unset source address', (t: string) => t.replace('\t10.0.5.21\t50001', '\t-\t50001')],
    ['a missing column', (t: string) => t.replace('\tShADdaFf\t5\t400\t5\t500\t-\n', '\tShADdaFf\t5\t400\t5\t500\n')],
    ['a bool that is not T or F', (t: string) => t.replace('\tSF\tT\tT\t', '\tSF\tyes\tT\t')],
  ])('falls back to the line reader on %s, which keeps the reject with its line', async (_, damage) => {
    const path = join(tempDir(), 'conn.log');
    writeFileSync(path, damage(zeekConnTsv(3)));
    const result = await ingestBothWays(path);
    expect(result.bulk.reader).toBe('lines');
    expect(result.bulk.bulkRefusal).toMatch(/refused|Error/);
    expect(result.bulk).toMatchObject({ records: result.lines.records, rejects: 1 });
    expect(result.bulkRows).toEqual(result.lineRows);
  });

  it('resumes a grown file in bulk after the lines already ingested', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    const text = zeekConnTsv(6);
    const cut = text.indexOf('1709542801.000003');
    writeFileSync(log, text.slice(0, cut));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    expect((await runIngest(store, [log], { parse: {} })).outcomes[0]).toMatchObject({ reader: 'bulk', records: 3 });
    copyFileSync(log, `${log}.bak`);
    writeFileSync(log, text);
    expect((await runIngest(store, [log], { parse: {} })).outcomes[0]).toMatchObject({ reader: 'bulk', records: 3, resumedAfterLine: 11 });
    const ports = await store.query('SELECT SrcPortNumber FROM ASimNetworkSessionLogs ORDER BY 1');
    expect(ports.rows.map((row) => row[0])).toEqual([50000, 50001, 50002, 50003, 50004, 50005]);
    await store.close();
  });

  it('refuses a file that grew between its scan and its read (the ledger hashed only what the scan saw)', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    writeFileSync(log, zeekConnTsv(4).replace(/#close.*\n$/, ''));
    const verdict = await planZeekBulk(createReadStream(log), 0);
    expect(verdict.plan?.records).toBe(4);
    appendFileSync(log, zeekConnTsv(2, 60000).split('\n').filter((line) => line !== '' && !line.startsWith('#')).join('\n') + '\n');
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const tx = await store.beginIngest({ input: log });
    await expect(tx.appendBulk!(verdict.plan!, { path: log, gzip: false })).rejects.toThrow(/gave 6 records where its scan counted 4/);
    await tx.rollback();
    expect((await store.query('SELECT count(*) FROM smbwatch_sessions')).rows[0]![0]).toBe(0);
    await store.close();
  });

  it('agrees with the line reader on random conn logs (property)', async () => {
    const cell = {
      port: fc.oneof(fc.integer({ min: 0, max: 65535 }).map(String), fc.constant('-')),
      count: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }).map(String), fc.constant('-')),
      bool: fc.constantFrom('T', 'F', '-'),
      state: fc.constantFrom('SF', 'S0', 'REJ', 'RSTO', 'OTH', 'XYZ', '-'),
      text: fc.stringMatching(/^[a-zA-Z0-9.,:_()-]{1,12}$/),
      duration: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }).map((d) => d.toFixed(6)), fc.constant('-')),
      ts: fc.tuple(fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: 0, max: 999_999 })).map(([s, us]) => `${s}.${String(us).padStart(6, '0')}`),
    };
    const row = fc
      .record({
        ts: cell.ts, uid: cell.text, oh: fc.ipV4(), op: fc.integer({ min: 0, max: 65535 }).map(String), rh: fc.oneof(fc.ipV4(), fc.ipV6()),
        rp: fc.integer({ min: 0, max: 65535 }).map(String), proto: fc.constantFrom('tcp', 'udp', 'icmp', '-'), service: fc.oneof(cell.text, fc.constant('-')),
        duration: cell.duration, ob: cell.count, rb: cell.count, state: cell.state, lo: cell.bool, lr: cell.bool, history: cell.text,
        opk: cell.count, rpk: cell.count,
      })
      .map((r) => [r.ts, r.uid, r.oh, r.op, r.rh, r.rp, r.proto, r.service, r.duration, r.ob, r.rb, r.state, r.lo, r.lr, '0', r.history, r.opk, '0', r.rpk, '0', '-'].join('\t'));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        const header = zeekConnTsv(0).split('\n').filter((line) => line.startsWith('#') && !line.startsWith('#close'));
        const path = join(tempDir(), 'random.log');
        writeFileSync(path, [...header, ...rows].join('\n') + '\n');
        const result = await ingestBothWays(path);
        expect(result.bulk.reader).toBe('bulk');
        expect(result.bulkRows).toEqual(result.lineRows);
      }),
      { numRuns: 15 },
    );
  });
});
