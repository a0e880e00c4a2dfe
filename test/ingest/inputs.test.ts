/**
 * Undoing and redoing an ingest: an input whose every record is rejected is a failure; reading it again with the
 * right --format (or with --force and a --timezone) replaces what it added; `smbwatch inputs` lists what the store
 * holds and `smbwatch inputs rm` removes inputs with their records and rejects. The nfdump fixture
 * (test/fixtures/network/nfdump.csv: a header and 8 lines, read as nfdump: 3 records, 2 rejects, 3 ignored; read
 * as Zeek TSV: all 9 lines rejected) and Zeek conn logs are real files on disk, run through the built CLI.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchInputs } from '../../src/ingest/input-patterns.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';
import { writeStore } from '../run/stores.js';

const tempDir = useTempDir();
const NFDUMP = new URL('../fixtures/network/nfdump.csv', import.meta.url).pathname;

async function counts(db: string): Promise<{ records: number; rejects: number; ledger: number; first: string | null }> {
  const store = await openDuckDbStore(db);
  try {
    const [records, first] = (await store.query(`SELECT count(*), strftime(min(TimeGenerated), '%Y-%m-%dT%H:%M:%SZ') FROM ASimNetworkSessionLogs`)).rows[0]!;
    const rejects = (await store.query('SELECT count(*) FROM smbwatch_rejects')).rows[0]![0];
    const ledger = (await store.query('SELECT count(*) FROM smbwatch_inputs')).rows[0]![0];
    return { records: Number(records), rejects: Number(rejects), ledger: Number(ledger), first: first === null ? null : String(first) };
  } finally {
    await store.close();
  }
}

describe('a mistaken ingest can be undone', () => {
  it('a wrong --format rejecting every record fails; the right format reads it again in its place; --force re-reads with a --timezone', async () => {
    const dir = tempDir();
    const db = join(dir, 'store.duckdb');
    const file = join(dir, 'flows.csv');
    copyFileSync(NFDUMP, file);

    const wrong = runCli(['ingest', '--db', db, '--format', 'zeek-tsv', file]);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toMatch(/^rejected\s+zeek-tsv\s+0\s+9\s/m);
    expect(wrong.stderr).toContain(`${file}: every record was rejected (first: line 1: data line before any #fields header); is --format right? It was read as zeek-tsv`);
    // The rejects are kept, to be looked at.
    expect(await counts(db)).toEqual({ records: 0, rejects: 9, ledger: 1, first: null });

    // Detected as nfdump now: not "unchanged", but read again in place of the first read.
    const right = runCli(['ingest', '--db', db, file]);
    expect(right.status).toBe(0);
    expect(right.stdout).toContain('(read again: it was read as zeek-tsv before; its earlier records replaced)');
    expect(await counts(db)).toEqual({ records: 3, rejects: 2, ledger: 1, first: '2024-03-04T10:00:01Z' });

    // The same again: unchanged, and the summary says how to read it anyway.
    const again = runCli(['ingest', '--db', db, '--timezone', 'Europe/Berlin', file]);
    expect(again.stdout).toMatch(/^unchanged/m);
    expect(again.stdout).toContain('--force reads them again');
    expect(await counts(db)).toEqual({ records: 3, rejects: 2, ledger: 1, first: '2024-03-04T10:00:01Z' });

    // --force with the collector's zone: the same three records, an hour earlier (CET is UTC+1 in March).
    const forced = runCli(['ingest', '--db', db, '--timezone', 'Europe/Berlin', '--force', file]);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain('(read again: --force; its earlier records replaced)');
    expect(await counts(db)).toEqual({ records: 3, rejects: 2, ledger: 1, first: '2024-03-04T09:00:01Z' });
  }, 120_000);

  it('the nfdump warning names --force with --timezone', () => {
    const dir = tempDir();
    const result = runCli(['ingest', '--db', join(dir, 'store.duckdb'), NFDUMP]);
    expect(result.stderr).toContain('If that is wrong, ingest again with --timezone ZONE (e.g. Europe/Berlin) and --force.');
  });

  it('a path that leads to no file prints no table, only the error, and fails; no new store is left behind', () => {
    const dir = tempDir();
    const result = runCli(['ingest', '--db', join(dir, 'store.duckdb'), join(dir, 'missing.log'), join(dir, '*.nomatch')]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`smbwatch ingest: ${join(dir, 'missing.log')}: no such file or directory\nsmbwatch ingest: ${join(dir, '*.nomatch')}: the pattern matches no file\n`);
    expect(existsSync(join(dir, 'store.duckdb'))).toBe(false);
    expect(runCli(['status', '--db', join(dir, 'store.duckdb')]).stdout).toBe(`No store at ${join(dir, 'store.duckdb')} yet.\nStart with: npx smbwatch ingest PATH...   (see npx smbwatch ingest --help)\n`);
  });
});

describe('smbwatch inputs', () => {
  it('lists the inputs with counts and time spans; rm removes inputs with their records and rejects', async () => {
    const dir = tempDir();
    const db = join(dir, 'store.duckdb');
    mkdirSync(join(dir, 'zeek', 'day1'), { recursive: true });
    mkdirSync(join(dir, 'zeek', 'day2'), { recursive: true });
    // 100 and 40 sessions from 2024-03-04T09:00:01 (one a microsecond): read by DuckDB's CSV reader (bulk).
    writeFileSync(join(dir, 'zeek', 'day1', 'conn.log'), zeekConnTsv(100));
    writeFileSync(join(dir, 'zeek', 'day2', 'conn.log'), zeekConnTsv(40, 60000));
    copyFileSync(NFDUMP, join(dir, 'flows.csv'));
    const ingest = runCli(['ingest', '--db', db, '--explain-format', join(dir, 'zeek'), join(dir, 'flows.csv')]);
    expect(ingest.status).toBe(0);
    // Both readers mark records with their input: the Zeek logs go through DuckDB's CSV reader, nfdump by lines.
    expect(ingest.stdout).toContain(`${join(dir, 'zeek', 'day1', 'conn.log')}: read as zeek-tsv by DuckDB's CSV reader`);
    expect(await counts(db)).toMatchObject({ records: 143, rejects: 2, ledger: 3 });

    const list = runCli(['inputs', '--db', db]);
    expect(list.status).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^format\s+records\s+rejects\s+size\s+records from – to \(UTC\)\s+last ingested\s+input$/);
    expect(lines[2]).toMatch(new RegExp(`^nfdump-csv\\s+3\\s+2\\s+1\\.6 KiB\\s+2024-03-04 10:00:01 – 2024-07-01 10:00:00\\s.*${join(dir, 'flows.csv')}$`));
    expect(lines[3]).toMatch(new RegExp(`^zeek-tsv\\s+100\\s+0\\s.*2024-03-04 09:00:01 – 2024-03-04 09:00:01\\s.*${join(dir, 'zeek', 'day1', 'conn.log')}$`));
    expect(lines.at(-1)).toBe('3 inputs, 143 records');

    // A glob on file names, with --dry-run: nothing goes.
    const dry = runCli(['inputs', 'rm', '--db', db, '--dry-run', 'conn.*']);
    expect(dry.stdout).toContain('2 input(s), 140 records would be removed (--dry-run: nothing removed)');
    expect(await counts(db)).toMatchObject({ records: 143, ledger: 3 });

    // A directory: the inputs under it.
    const rm = runCli(['inputs', 'rm', '--db', db, join(dir, 'zeek', 'day1')]);
    expect(rm.status).toBe(0);
    expect(rm.stdout).toContain('Removed 1 input: 100 records, 0 rejects.');
    expect(await counts(db)).toMatchObject({ records: 43, rejects: 2, ledger: 2 });

    // A relative path, and a pattern naming nothing: what matched goes, the status says something did not.
    const relative = runCli(['inputs', 'rm', '--db', db, 'flows.csv', 'nothing.log']);
    expect(relative.status).toBe(1);
    expect(relative.stderr).toContain('no input matches flows.csv');
    const fromDir = runCliIn(dir, ['inputs', 'rm', '--db', db, 'flows.csv']);
    expect(fromDir.stdout).toContain('Removed 1 input: 3 records, 2 rejects.');
    expect(await counts(db)).toEqual({ records: 40, rejects: 0, ledger: 1, first: '2024-03-04T09:00:01Z' });

    // Removed inputs are new again: ingesting them adds their records back.
    expect(runCli(['ingest', '--db', db, join(dir, 'zeek')]).stdout).toContain('100 records added');
  }, 120_000);

  it('records of an older store, which did not mark their input, cannot be removed: said, nothing removed', async () => {
    const dir = tempDir();
    const db = join(dir, 'old.duckdb');
    await writeStore(db, [{ TimeGenerated: 1_709_542_801_000_000, SrcIpAddr: '10.0.0.1' }]);
    expect(runCli(['inputs', '--db', db]).stdout).toContain('fixture  (older store: cannot be removed)');
    const rm = runCli(['inputs', 'rm', '--db', db, 'fixture']);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toContain('fixture: its records were stored by an older smbwatch');
    expect(await counts(db)).toMatchObject({ records: 1, ledger: 1 });
  });
});

function runCliIn(cwd: string, args: string[]) {
  return runCli(args, {}, cwd);
}

describe('input patterns', () => {
  const names = ['/data/zeek/day1/conn.log', '/data/zeek/day2/conn.log.gz', '/data/flows.csv', '/data/logs.zip!a/conn.log', '/data/logs.zip!b.log'];

  it('an exact path, relative to the current directory or absolute', () => {
    expect(matchInputs(names, ['flows.csv'], '/data').matched).toEqual(['/data/flows.csv']);
    expect(matchInputs(names, ['/data/flows.csv'], '/').matched).toEqual(['/data/flows.csv']);
  });

  it('a directory (ending in /), an archive (all its members)', () => {
    expect(matchInputs(names, ['/data/zeek/'], '/').matched).toEqual(['/data/zeek/day1/conn.log', '/data/zeek/day2/conn.log.gz']);
    expect(matchInputs(names, ['logs.zip'], '/data').matched).toEqual(['/data/logs.zip!a/conn.log', '/data/logs.zip!b.log']);
  });

  it('a glob without a slash matches file names (zip members too), with one a whole path', () => {
    expect(matchInputs(names, ['conn.log*'], '/').matched).toEqual(['/data/zeek/day1/conn.log', '/data/zeek/day2/conn.log.gz', '/data/logs.zip!a/conn.log']);
    expect(matchInputs(names, ['/data/zeek/*/conn.log'], '/').matched).toEqual(['/data/zeek/day1/conn.log']);
    expect(matchInputs(names, ['zeek/**'], '/data').matched).toEqual(['/data/zeek/day1/conn.log', '/data/zeek/day2/conn.log.gz']);
  });

  it('reports the patterns that name nothing', () => {
    expect(matchInputs(names, ['flows.csv', 'x.log'], '/data')).toEqual({ matched: ['/data/flows.csv'], unmatched: ['x.log'] });
  });
});
