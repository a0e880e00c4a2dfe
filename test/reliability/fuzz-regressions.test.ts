/**
 * Every weakness `npm run fuzz` found, reduced to a fixture (test/fixtures/fuzz/) and read through the real
 * ingest: each of these failed (or hung) before its fix.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { useTempDir } from '../helpers/tmp.js';
import { zipArchive } from '../helpers/zip.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();
const FIXTURES = join(import.meta.dirname, '../fixtures/fuzz');

async function ingestFixture(name: string): Promise<{ store: DuckDbStore; outcome: Awaited<ReturnType<typeof runIngest>>['outcomes'][number] }> {
  const dir = tempDir();
  const path = join(dir, name);
  copyFileSync(join(FIXTURES, name), path);
  const store = await openDuckDbStore(':memory:');
  const result = await runIngest(store, [path], { parse: {} });
  expect(result.outcomes).toHaveLength(1);
  return { store, outcome: result.outcomes[0]! };
}

async function ingestText(name: string, content: string): Promise<{ store: DuckDbStore; outcome: Awaited<ReturnType<typeof runIngest>>['outcomes'][number] }> {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  const store = await openDuckDbStore(':memory:');
  const result = await runIngest(store, [path], { parse: {} });
  expect(result.outcomes).toHaveLength(1);
  return { store, outcome: result.outcomes[0]! };
}

/** The stored records as a multiset: their count and the sum of their row hashes over every column. */
async function recordsDigest(store: DuckDbStore): Promise<string> {
  const result = await store.query('SELECT count(*)::VARCHAR, coalesce(sum(hash(s)::HUGEINT), 0)::VARCHAR FROM ASimNetworkSessionLogs s');
  return result.rows[0]!.join(' ');
}

async function rejects(store: DuckDbStore): Promise<Array<{ line: number; field: string; raw: string; reason: string }>> {
  const result = await store.query('SELECT line, field, raw, reason FROM smbwatch_rejects ORDER BY line');
  return result.rows.map(([line, field, raw, reason]) => ({ line: Number(line), field: String(field), raw: String(raw), reason: String(reason) }));
}

describe('fuzz findings, fixed', () => {
  it('a line with NUL bytes is kept as a reject (NUL shown as ␀), not a failure of the whole input', async () => {
    const { store, outcome } = await ingestFixture('zeek-tsv-nul-in-rejected-line.log');
    expect(outcome).toMatchObject({ status: 'ingested', records: 2, rejects: 1 });
    const [reject] = await rejects(store);
    expect(reject).toMatchObject({ line: 5, field: 'ts' });
    expect(reject!.raw).toContain('17095428\u2400\u2400.000002');
    await store.close();
  });

  it('a count of 1e308 is rejected with its field, not a store conversion error for the whole input', async () => {
    const { store, outcome } = await ingestFixture('suricata-eve-count-out-of-range.json');
    expect(outcome).toMatchObject({ status: 'ingested', format: 'suricata-eve', records: 1, rejects: 1 });
    expect((await rejects(store))[0]).toMatchObject({ line: 1, field: 'flow.pkts_toserver' });
    await store.close();
  });

  it('CSV rejects cite the line an editor shows, even after lines holding a lone carriage return', async () => {
    // Lines 3 and 5 hold a lone CR (each ends a blank CRLF line: skipped); line 7 holds a CR inside its text
    // (a short row: the reject, on its own line).
    const { store, outcome } = await ingestFixture('asim-csv-lone-cr-lines.csv');
    expect(outcome).toMatchObject({ status: 'ingested', records: 4, rejects: 1 });
    expect((await rejects(store)).map((reject) => reject.line)).toEqual([7]);
    await store.close();
  });

  it('a CRLF CSV with one line ended by LF alone keeps every record, and rejects cite the right lines', async () => {
    // Lines 1-3 and 5-6 end in CRLF, line 3 in LF alone; line 5 holds a bad time. Before the fix, line 4 ran
    // on into line 3's record: one record lost and the reject cited line 4.
    const { store, outcome } = await ingestFixture('asim-csv-crlf-with-one-lf-line.csv');
    expect(outcome).toMatchObject({ status: 'ingested', format: 'asim-csv', records: 4, rejects: 1 });
    expect((await rejects(store)).map((reject) => reject.line)).toEqual([5]);
    const bytes = await store.query('SELECT SrcBytes FROM ASimNetworkSessionLogs ORDER BY 1');
    expect(bytes.rows.map(([value]) => Number(value))).toEqual([1201, 1202, 1203, 1205]);
    await store.close();
  });

  it.each([
    ['Azure NSG analytics CSV', 'network/nsg-analytics.csv'],
    ['Defender CSV', 'windows/defender-networkevents.csv'],
    ['Windows SecurityEvent CSV', 'windows/securityevent-table.csv'],
  ])('%s: a line ended by LF alone in a CRLF file reads as it does in the all-CRLF file', async (_name, fixture) => {
    const lines = readFileSync(join(FIXTURES, '..', fixture), 'utf8').split(/\r?\n/).filter((line) => line !== '');
    // A row with too few fields after the LF line: its reject must cite its own line in both files.
    const rows = [...lines.slice(0, 3), 'short,row', ...lines.slice(3)];
    const crlf = rows.join('\r\n') + '\r\n';
    const mixed = rows.slice(0, 2).join('\r\n') + '\r\n' + rows[2] + '\n' + rows.slice(3).join('\r\n') + '\r\n';
    const baseline = await ingestText(fixture.split('/')[1]!, crlf);
    const subject = await ingestText(fixture.split('/')[1]!, mixed);
    expect(baseline.outcome.records).toBeGreaterThan(0);
    expect(subject.outcome).toMatchObject({ status: 'ingested', records: baseline.outcome.records, rejects: baseline.outcome.rejects });
    expect(await recordsDigest(subject.store)).toEqual(await recordsDigest(baseline.store));
    expect(await rejects(subject.store)).toEqual(await rejects(baseline.store));
    await Promise.all([baseline.store.close(), subject.store.close()]);
  });

  it('a JSON value nested 100,000 levels deep is one reject, not a stack overflow failing the whole input', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const conn = (uid: string, extra = '') =>
      `{"ts":1709542801.123456,"uid":"${uid}","id.orig_h":"10.0.5.21","id.orig_p":51234,"id.resp_h":"10.0.1.10","id.resp_p":445,"proto":"tcp","conn_state":"SF"${extra}}`;
    const asim = (port: number, extra = '') => `{"TimeGenerated":"2024-03-04T09:00:00Z","SrcIpAddr":"10.0.0.5","DstIpAddr":"10.0.0.9","DstPortNumber":${port}${extra}}`;
    const cases = [
      { name: 'conn.log', format: 'zeek-json', content: [conn('C1'), conn('C2', `,"history":${deep}`), conn('C3')].join('\n') },
      { name: 'sessions.json', format: 'asim-json-array', content: `[${[asim(445), asim(446, `,"AdditionalFields":${deep}`), asim(447)].join(',\n')}]` },
    ];
    for (const { name, format, content } of cases) {
      const { store, outcome } = await ingestText(name, content);
      expect(outcome, format).toMatchObject({ status: 'ingested', format, records: 2, rejects: 1 });
      const [reject] = await rejects(store);
      expect(reject!.line).toBe(2);
      expect(reject!.reason, format).toMatch(/nested deeper than 1000 levels/);
      await store.close();
    }
  });

  it('an NSG analytics row whose flow counts sum past 32 bits is a reject naming EventCount; its neighbours are stored', async () => {
    // Reduced by the fuzzer: AllowedInFlows_d of -62135596800 made EventCount (an int) overflow, and the
    // store's insert failed for the whole input.
    const { store, outcome } = await ingestFixture('azure-nsg-analytics-int-overflow.csv');
    expect(outcome).toMatchObject({ status: 'ingested', format: 'azure-nsg-analytics', records: 1, rejects: 2 });
    const found = await rejects(store);
    expect(found.map((reject) => [reject.line, reject.field])).toContainEqual([3, 'EventCount']);
    await store.close();
  });

  it('a Zeek time past what the store can hold (year 294,000) is a reject naming TimeGenerated; its neighbours are stored', async () => {
    // Reduced by the fuzzer (seed 11): ts 9236854775808 made microseconds past INT64, and the insert failed for the whole input.
    const { store, outcome } = await ingestFixture('zeek-json-time-past-int64.json');
    expect(outcome).toMatchObject({ status: 'ingested', format: 'zeek-json', records: 2, rejects: 1 });
    expect((await rejects(store))[0]).toMatchObject({ line: 2, field: 'TimeGenerated' });
    expect((await rejects(store))[0]!.reason).toMatch(/outside the datetime range, years 1 to 9999/);
    await store.close();
  });

  it('a stray nfdump "Summary" line does not hide the flows after it', async () => {
    const { store, outcome } = await ingestFixture('nfdump-stray-summary.csv');
    expect(outcome).toMatchObject({ status: 'ingested', format: 'nfdump-csv', records: 3, ignored: 1 });
    await store.close();
  });

  it('a Cisco ASA message padded with spaces is read in linear time (the parse patterns backtracked exponentially)', async () => {
    const { store, outcome } = await ingestFixture('cef-syslog-asa-backtracking.log');
    expect(outcome).toMatchObject({ status: 'ingested', format: 'cef-syslog' });
    expect(outcome.records + outcome.rejects).toBeGreaterThanOrEqual(3);
    await store.close();
  });

  it('a damaged gzipped zip member is that member’s error; the archive’s other members are read', async () => {
    const dir = tempDir();
    const gz = gzipSync(zeekConnTsv(50));
    const archive = join(dir, 'logs.zip');
    writeFileSync(archive, zipArchive([{ name: 'a/conn.log.gz', content: gz.subarray(0, gz.length - 40) }, { name: 'b/conn.log', content: zeekConnTsv(3) }]));
    const store = await openDuckDbStore(':memory:');
    const { outcomes } = await runIngest(store, [archive], { parse: {} });
    expect(outcomes.map((outcome) => [outcome.name.split('!')[1], outcome.status])).toEqual([
      ['a/conn.log.gz', 'error'],
      ['b/conn.log', 'ingested'],
    ]);
    expect(outcomes[0]!.reason).toMatch(/logs\.zip!a\/conn\.log\.gz: the gzip stream ends early/);
    await store.close();
  });
});
