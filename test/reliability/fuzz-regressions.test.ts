/**
 * Every weakness `npm run fuzz` found, reduced to a fixture (test/fixtures/fuzz/) and read through the real
 * ingest: each of these failed (or hung) before its fix.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
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

async function rejects(store: DuckDbStore): Promise<Array<{ line: number; field: string; raw: string }>> {
  const result = await store.query('SELECT line, field, raw FROM smbwatch_rejects ORDER BY line');
  return result.rows.map(([line, field, raw]) => ({ line: Number(line), field: String(field), raw: String(raw) }));
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
    const { store, outcome } = await ingestFixture('asim-csv-lone-cr-lines.csv');
    expect(outcome).toMatchObject({ status: 'ingested', records: 3, rejects: 2 });
    expect((await rejects(store)).map((reject) => reject.line)).toEqual([3, 5]);
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
