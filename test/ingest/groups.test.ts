/**
 * Many bulk inputs commit together (ingest/run.ts GROUP_RECORDS, engine.ts IngestGroup), yet each input stays all
 * or nothing: a refused bulk read inside a group rolls the group back and its inputs are read again alone; a kill -9
 * in the middle of a group leaves only whole inputs, each in the ledger, and a second ingest completes the rest.
 * A group reads its files with the same plan in one statement (the reads are deferred to its commit): each record
 * still carries its own input's id, and the result equals the line reader's.
 */
import { createReadStream, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run.js';
import { openDuckDbStore, type DuckDbStore } from '../../src/store/duckdb.js';
import { inputId } from '../../src/store/input-id.js';
import { planZeekBulk } from '../../src/sources/zeek-bulk.js';
import { ASIM_COLUMNS } from '../../src/asim/schema.js';
import { CLI, spawn } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();

/** `files` conn.logs of `records` sessions each; every record's uid names its file (F<k>-<i>). */
function writeLogs(dir: string, files: number, records: number, damage: (k: number, text: string) => string = (_, t) => t): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: files }, (_, k) => {
    const path = join(dir, `conn.${String(k).padStart(3, '0')}.log`);
    writeFileSync(path, damage(k, zeekConnTsv(records).replaceAll(/\tC(\d+)x\t/g, `\tF${k}-$1\t`)));
    return path;
  });
}

/** Records per file (by uid prefix) and the ledger's records per input. */
async function perFile(store: DuckDbStore): Promise<{ stored: Map<string, number>; ledger: Map<string, number>; distinct: number; total: number }> {
  const stored = await store.query(`SELECT split_part(EventOriginalUid, '-', 1), count(*) FROM ASimNetworkSessionLogs GROUP BY 1`);
  const ledger = await store.query(`SELECT regexp_extract(name, 'conn\\.(\\d+)\\.log', 1), sum(records) FROM smbwatch_inputs GROUP BY 1`);
  const totals = await store.query(`SELECT count(DISTINCT EventOriginalUid), count(*) FROM ASimNetworkSessionLogs`);
  return {
    stored: new Map(stored.rows.map(([file, n]) => [String(file).slice(1), Number(n)])),
    ledger: new Map(ledger.rows.map(([file, n]) => [String(Number(file)), Number(n)])),
    distinct: Number(totals.rows[0]![0]),
    total: Number(totals.rows[0]![1]),
  };
}

describe('ingest groups', () => {
  it('commits many bulk inputs together; every input is in the ledger with its records', async () => {
    const dir = tempDir();
    const files = writeLogs(join(dir, 'logs'), 12, 50);
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const result = await runIngest(store, [join(dir, 'logs')], { parse: {}, groupRecords: 120 });
    expect(result.outcomes.map((o) => [o.status, o.reader, o.records])).toEqual(files.map(() => ['ingested', 'bulk', 50]));
    const { stored, ledger, distinct, total } = await perFile(store);
    expect(total).toBe(600);
    expect(distinct).toBe(600);
    expect([...stored.entries()].sort()).toEqual([...ledger.entries()].sort());
    // Again: nothing new.
    const again = await runIngest(store, [join(dir, 'logs')], { parse: {}, groupRecords: 120 });
    expect(again.outcomes.map((o) => o.status)).toEqual(files.map(() => 'unchanged'));
    expect((await perFile(store)).total).toBe(600);
    await store.close();
  });

  it('a refused bulk read in a group: the group is read again input by input, the refused one by lines with its reject', async () => {
    const dir = tempDir();
    const files = writeLogs(join(dir, 'logs'), 8, 20, (k, text) => (k === 5 ? text.replace('\t445\t', '\t70000\t') : text));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const result = await runIngest(store, [join(dir, 'logs')], { parse: {}, groupRecords: 1000 });
    expect(result.outcomes.map((o) => [o.status, o.reader, o.records, o.rejects])).toEqual(
      files.map((_, k) => (k === 5 ? ['ingested', 'lines', 19, 1] : ['ingested', 'bulk', 20, 0])),
    );
    expect(result.outcomes[5]!.bulkRefusal).toMatch(/refused|Error/);
    const { stored, ledger, distinct, total } = await perFile(store);
    expect(total).toBe(7 * 20 + 19);
    expect(distinct).toBe(total);
    expect([...stored.entries()].sort()).toEqual([...ledger.entries()].sort());
    expect((await store.query('SELECT count(*) FROM smbwatch_rejects')).rows[0]![0]).toBe(1);
    await store.close();
  });

  it('reads a group of plain, gzipped and wider files in one statement per plan: every record as the line reader reads it, with its own input id', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    writeLogs(logs, 6, 30);
    // A gzipped file and one with an extra column (another plan) in the same group.
    writeFileSync(join(logs, 'conn.100.log.gz'), gzipSync(zeekConnTsv(25).replaceAll(/\tC(\d+)x\t/g, '\tF100-$1\t')));
    const wide = zeekConnTsv(15)
      .replace('\ttunnel_parents\n', '\ttunnel_parents\tvlan\n')
      .replace('\tset[string]\n', '\tset[string]\tint\n')
      .split('\n')
      .map((line) => (line === '' || line.startsWith('#') ? line : `${line}\t7`))
      .join('\n')
      .replaceAll(/\tC(\d+)x\t/g, '\tF101-$1\t');
    writeFileSync(join(logs, 'conn.101.log'), wide);
    const read = async (bulk: boolean) => {
      const store = await openDuckDbStore(join(dir, `${bulk}.duckdb`));
      const result = await runIngest(store, [logs], { parse: {}, bulk, groupRecords: 10_000 });
      const view = await store.query(
        `SELECT ${ASIM_COLUMNS.map((c) => `v."${c.name}"`).join(', ')} FROM ASimNetworkSessionLogs v ORDER BY EventOriginalUid`,
      );
      const ids = await store.query(`SELECT EventOriginalUid, smbwatch_input FROM smbwatch_sessions ORDER BY 1`);
      const ledger = await store.query(`SELECT name, records, input_id FROM smbwatch_inputs ORDER BY name`);
      await store.close();
      return { result, view: view.rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))), ids: ids.rows, ledger: ledger.rows };
    };
    const bulk = await read(true);
    const lines = await read(false);
    expect(bulk.result.outcomes.map((o) => [o.status, o.reader])).toEqual(bulk.result.outcomes.map(() => ['ingested', 'bulk']));
    expect(bulk.view).toHaveLength(6 * 30 + 25 + 15);
    expect(bulk.view).toEqual(lines.view);
    expect(bulk.ledger).toEqual(lines.ledger);
    // Each record's input id is its own file's (the uid names the file).
    const fileOf = new Map(bulk.ledger.map(([name]) => [String(name).match(/conn\.(\d+)\.log/)![1]!, inputId(String(name))]));
    for (const [uid, id] of bulk.ids) expect(Number(id)).toBe(fileOf.get(String(Number(String(uid).match(/^F(\d+)-/)![1])).padStart(3, '0')));
  });

  it('a line-reader input after staged inputs, one of them refused: the group is read again alone before the line-reader input runs', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    writeLogs(logs, 4, 20, (k, text) => (k === 2 ? text.replace('\t445\t', '\t70000\t') : k === 3 ? text.replaceAll('\n', '\r\n') : text));
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const result = await runIngest(store, [logs], { parse: {}, groupRecords: 1000 });
    expect(result.outcomes.map((o) => [o.status, o.reader, o.records, o.rejects])).toEqual([
      ['ingested', 'bulk', 20, 0],
      ['ingested', 'bulk', 20, 0],
      ['ingested', 'lines', 19, 1],
      ['ingested', 'lines', 20, 0],
    ]);
    const { stored, ledger, distinct, total } = await perFile(store);
    expect(total).toBe(79);
    expect(distinct).toBe(total);
    expect([...stored.entries()].sort()).toEqual([...ledger.entries()].sort());
    await store.close();
  });

  it('--force over inputs read in one group replaces each one once', async () => {
    const dir = tempDir();
    const files = writeLogs(join(dir, 'logs'), 5, 40);
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    await runIngest(store, [join(dir, 'logs')], { parse: {}, groupRecords: 10_000 });
    const again = await runIngest(store, [join(dir, 'logs')], { parse: {}, groupRecords: 10_000, force: true });
    expect(again.outcomes.map((o) => [o.status, o.reader, o.records, o.reread])).toEqual(files.map(() => ['ingested', 'bulk', 40, '--force']));
    const { stored, distinct, total } = await perFile(store);
    expect(total).toBe(200);
    expect(distinct).toBe(200);
    expect([...stored.values()]).toEqual([40, 40, 40, 40, 40]);
    await store.close();
  });

  it('a deferred read that adds other than the records its scan counted aborts the group', async () => {
    const dir = tempDir();
    const [path] = writeLogs(join(dir, 'logs'), 1, 10);
    const verdict = await planZeekBulk(createReadStream(path!), 0);
    const store = await openDuckDbStore(join(dir, 'db.duckdb'));
    const group = await store.beginIngestGroup();
    const tx = await group.begin({ input: path! });
    expect(await tx.appendBulk!({ ...verdict.plan!, records: 11 }, { path: path!, gzip: false })).toBe(11);
    await expect(group.commit()).rejects.toThrow(/10 records where their scans counted 11/);
    expect(group.aborted).toBe(true);
    await group.rollback();
    expect((await store.query('SELECT count(*) FROM smbwatch_sessions')).rows[0]![0]).toBe(0);
    await store.close();
  });

  it('kill -9 in the middle of a group: only whole inputs, each in the ledger; a second ingest completes the rest', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    const db = join(dir, 'db.duckdb');
    const files = writeLogs(logs, 80, 2000);
    const child = spawn(process.execPath, [CLI, 'ingest', '--db', db, '--progress', 'log', logs], {
      env: { ...process.env, SMBWATCH_INGEST_GROUP_RECORDS: '9000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Kill once the ingest is past its first groups (progress names the input it is reading).
    const killed = await new Promise<string | null>((resolve) => {
      let seen = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const inputs = [...seen.matchAll(/conn\.(\d+)\.log/g)].map((m) => Number(m[1]));
        if (inputs.some((k) => k >= 20) && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal));
    });
    expect(killed).toBe('SIGKILL');

    let store = await openDuckDbStore(db);
    const partial = await perFile(store);
    // Whole inputs only, exactly those the ledger knows; some committed, not all.
    expect([...partial.stored.values()].every((n) => n === 2000)).toBe(true);
    expect([...partial.stored.entries()].sort()).toEqual([...partial.ledger.entries()].sort());
    expect(partial.ledger.size).toBeGreaterThan(0);
    expect(partial.ledger.size).toBeLessThan(files.length);
    await store.close();

    store = await openDuckDbStore(db);
    const rest = await runIngest(store, [logs], { parse: {} });
    expect(rest.outcomes.filter((o) => o.status === 'unchanged')).toHaveLength(partial.ledger.size);
    const done = await perFile(store);
    expect(done.total).toBe(files.length * 2000);
    expect(done.distinct).toBe(done.total);
    await store.close();
  });
});
