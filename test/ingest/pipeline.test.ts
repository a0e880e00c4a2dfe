import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { useTempDir } from '../helpers/tmp.js';
import { zipArchive } from '../helpers/zip.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();

async function count(store: DuckDbStore, sql: string): Promise<number> {
  return Number((await store.query(sql)).rows[0]![0]);
}

const records = (store: DuckDbStore) => count(store, 'SELECT count(*) FROM ASimNetworkSessionLogs');

describe('ingest pipeline', () => {
  it('ingests a Zeek conn.log and reports per-input counts', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    writeFileSync(log, zeekConnTsv(3));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const result = await runIngest(store, [log], { parse: {} });
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]).toMatchObject({ status: 'ingested', format: 'zeek-tsv', records: 3, rejects: 0 });
    expect(await records(store)).toBe(3);
    const ledger = await store.lastLedgerEntry(log);
    expect(ledger).toMatchObject({ records: 3, format: 'zeek-tsv', offsetReached: Buffer.byteLength(zeekConnTsv(3)) });
    await store.close();
  });

  it('adds nothing when the same file is ingested again, or its content under another name', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    writeFileSync(log, zeekConnTsv(4));
    writeFileSync(join(dir, 'copy.log'), zeekConnTsv(4));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    await runIngest(store, [log], { parse: {} });
    const again = await runIngest(store, [log, join(dir, 'copy.log')], { parse: {} });
    expect(again.outcomes.map((o) => o.status)).toEqual(['unchanged', 'duplicate']);
    expect(await records(store)).toBe(4);
    await store.close();
  });

  it('a grown file adds only its new lines', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    const lines = zeekConnTsv(5).split('\n');
    const header = lines.filter((line) => line.startsWith('#'));
    const data = lines.filter((line) => line !== '' && !line.startsWith('#'));
    writeFileSync(log, [...header, ...data.slice(0, 2)].join('\n') + '\n');
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    expect((await runIngest(store, [log], { parse: {} })).outcomes[0]).toMatchObject({ records: 2 });
    appendFileSync(log, data.slice(2).join('\n') + '\n');
    const grown = (await runIngest(store, [log], { parse: {} })).outcomes[0]!;
    expect(grown).toMatchObject({ status: 'ingested', records: 3, resumedAfterLine: header.length + 2 });
    expect(await records(store)).toBe(5);
    const ports = await store.query('SELECT SrcPortNumber FROM ASimNetworkSessionLogs ORDER BY SrcPortNumber');
    expect(ports.rows.map((row) => row[0])).toEqual([50000, 50001, 50002, 50003, 50004]);
    expect((await runIngest(store, [log], { parse: {} })).outcomes[0]!.status).toBe('unchanged');
    await store.close();
  });

  it('a rotated copy of a partly ingested live log adds only the lines the live log had not shown', async () => {
    const dir = tempDir();
    const live = join(dir, 'conn.log');
    const full = zeekConnTsv(60);
    const lines = full.split('\n');
    const liveText = lines.slice(0, 8 + 50).join('\n') + '\n'; // header + 50 records, no #close yet
    writeFileSync(live, liveText);
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    expect((await runIngest(store, [live], { parse: {} })).outcomes[0]).toMatchObject({ records: 50 });
    // Zeek closes the file and rotates it into a gzipped copy; a new, different conn.log starts.
    writeFileSync(join(dir, 'conn.2024-03-04-10-00-00.log.gz'), gzipSync(full));
    writeFileSync(live, zeekConnTsv(2, 61000));
    const next = await runIngest(store, [join(dir, 'conn.2024-03-04-10-00-00.log.gz'), live], { parse: {} });
    expect(next.outcomes[0]).toMatchObject({ status: 'ingested', records: 10, continues: live, resumedAfterLine: 58 });
    expect(next.outcomes[1]).toMatchObject({ status: 'ingested', records: 2 });
    expect(await records(store)).toBe(62);
    const distinct = await store.query('SELECT count(DISTINCT SrcPortNumber) FROM ASimNetworkSessionLogs');
    expect(distinct.rows[0]![0]).toBe(62);
    await store.close();
  });

  it('holding back a half-written last line: it is read whole once finished, never as a reject', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    const text = zeekConnTsv(4);
    const cut = text.indexOf('10.0.1.10', text.indexOf('1709542801.000002')); // mid-way through record 3
    writeFileSync(log, text.slice(0, cut));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const first = (await runIngest(store, [log], { parse: {}, holdPartialLastLine: true })).outcomes[0]!;
    expect(first).toMatchObject({ status: 'ingested', records: 2, rejects: 0, reader: 'lines' });
    expect((await store.lastLedgerEntry(log))?.offsetReached).toBe(text.indexOf('1709542801.000002'));
    writeFileSync(log, text);
    const second = (await runIngest(store, [log], { parse: {}, holdPartialLastLine: true })).outcomes[0]!;
    expect(second).toMatchObject({ status: 'ingested', records: 2, rejects: 0, resumedAfterLine: 10 });
    expect(await records(store)).toBe(4);
    await store.close();
  });

  it('a file rewritten with other content is ingested as new content', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    writeFileSync(log, zeekConnTsv(2));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    await runIngest(store, [log], { parse: {} });
    writeFileSync(log, zeekConnTsv(3, 60000));
    expect((await runIngest(store, [log], { parse: {} })).outcomes[0]).toMatchObject({ status: 'ingested', records: 3 });
    expect(await records(store)).toBe(5);
    await store.close();
  });

  it('reads .gz and .zip by content, skips non-network logs inside archives and directories', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs', 'day1'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'day1', 'conn.01.log.gz'), gzipSync(zeekConnTsv(2)));
    writeFileSync(join(dir, 'logs', 'day1', 'dns.log'), zeekConnTsv(2).replace('#path\tconn', '#path\tdns'));
    writeFileSync(join(dir, 'logs', 'notes.txt'), 'hello\n');
    writeFileSync(
      join(dir, 'logs', 'bundle.dat'),
      zipArchive([
        { name: 'zeek/conn.log', content: zeekConnTsv(3, 51000) },
        { name: 'zeek/conn2.log.gz', content: gzipSync(zeekConnTsv(1, 52000)) },
        { name: 'zeek/dns.log', content: zeekConnTsv(1).replace('#path\tconn', '#path\tdns') },
      ]),
    );
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const result = await runIngest(store, [join(dir, 'logs')], { parse: {} });
    const byName = Object.fromEntries(result.outcomes.map((o) => [o.name.slice(dir.length + 1), o]));
    expect(byName['logs/day1/conn.01.log.gz']).toMatchObject({ status: 'ingested', records: 2, container: 'gzip' });
    expect(byName['logs/day1/dns.log']).toMatchObject({ status: 'skipped' });
    expect(byName['logs/day1/dns.log']!.reason).toMatch(/dns/);
    expect(byName['logs/notes.txt']).toMatchObject({ status: 'skipped' });
    expect(byName['logs/bundle.dat!zeek/conn.log']).toMatchObject({ status: 'ingested', records: 3, container: 'zip' });
    expect(byName['logs/bundle.dat!zeek/conn2.log.gz']).toMatchObject({ status: 'ingested', records: 1, container: 'zip+gzip' });
    expect(byName['logs/bundle.dat!zeek/dns.log']).toMatchObject({ status: 'skipped' });
    expect(await records(store)).toBe(6);
    await store.close();
  });

  it('a file named on the command line that is missing or not recognised is an error naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const result = await runIngest(store, [join(dir, 'notes.txt'), join(dir, 'missing.log')], { parse: {} });
    expect(result.outcomes[0]).toMatchObject({ status: 'error', name: join(dir, 'notes.txt') });
    expect(result.outcomes[0]!.reason).toMatch(/not a recognised log format/);
    expect(result.errors).toEqual([{ path: join(dir, 'missing.log'), reason: 'no such file or directory' }]);
    await store.close();
  });

  it('keeps rejected lines with file, line, field and reason, and still ingests the good ones', async () => {
    const dir = tempDir();
    const log = join(dir, 'conn.log');
    const text = zeekConnTsv(3).replace(/\n1709542801\.000002\t/, '\nnot-a-time\t');
    writeFileSync(log, text);
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const outcome = (await runIngest(store, [log], { parse: {} })).outcomes[0]!;
    expect(outcome).toMatchObject({ status: 'ingested', records: 2, rejects: 1 });
    const rejects = await store.query('SELECT input, line, field, reason, raw FROM smbwatch_rejects');
    const headerLines = text.split('\n').filter((line) => line.startsWith('#fields') || line.startsWith('#types') || /^#(separator|set_separator|empty_field|unset_field|path|open)/.test(line)).length;
    expect(rejects.rows).toHaveLength(1);
    const [input, line, field, reason, raw] = rejects.rows[0]!;
    expect(input).toBe(log);
    expect(line).toBe(headerLines + 3);
    expect(field).toBe('ts');
    expect(String(reason)).toMatch(/ts/);
    expect(String(raw)).toMatch(/^not-a-time\t/);
    await store.close();
  });
});
