import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { CLI, runCli, spawn } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeBigConnLog, zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();

describe('smbwatch ingest (CLI)', () => {
  it('--help teaches the command', () => {
    const result = runCli(['ingest', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--format <name>/);
    expect(result.stdout).toMatch(/atomically/);
    expect(result.stdout).toMatch(/Examples:/);
  });

  it('prints a per-input summary, honours SMBWATCH_DB, and exits 1 naming an unrecognised file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(3));
    writeFileSync(join(dir, 'notes.txt'), 'not a log\n');
    const db = join(dir, 'env.duckdb');
    const ok = runCli(['ingest', join(dir, 'conn.log')], { SMBWATCH_DB: db });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/ingested\s+zeek-tsv\s+3\s+0\s+0/);
    expect(ok.stdout).toContain(`Store: ${db}`);
    const bad = runCli(['ingest', '--db', db, join(dir, 'notes.txt')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(join(dir, 'notes.txt'));
    expect(bad.stderr).toMatch(/not a recognised log format/);
  });

  it('warns when a format with zone-less times was read as UTC, and not when --timezone is given', () => {
    const dir = tempDir();
    const fixture = new URL('../fixtures/network/nfdump.csv', import.meta.url).pathname;
    const utc = runCli(['ingest', '--db', join(dir, 'a.duckdb'), fixture]);
    expect(utc.stderr).toMatch(/warning: nfdump .* read as UTC\. If that is wrong, ingest again with --timezone ZONE/);
    const zoned = runCli(['ingest', '--db', join(dir, 'b.duckdb'), '--timezone', 'Europe/Berlin', fixture]);
    expect(zoned.stderr).not.toMatch(/warning/);
  });

  it('--progress log counts compressed inputs by their size on disk, like plain ones', () => {
    const dir = tempDir();
    const gz = join(dir, 'a-conn.log.gz');
    const plain = join(dir, 'b-conn.log');
    writeFileSync(gz, gzipSync(zeekConnTsv(200)));
    writeFileSync(plain, zeekConnTsv(5, 60000));
    const result = runCli(['ingest', '--db', join(dir, 'p.duckdb'), '--progress', 'log', gz, plain]);
    expect(result.status).toBe(0);
    const last = (input: string): string | undefined => result.stderr.split('\n').filter((line) => line.endsWith(`input ${input}`)).at(-1);
    expect(last(gz)).toBe(`progress: 200 records, ${statSync(gz).size} bytes read, input ${gz}`);
    expect(last(plain)).toBe(`progress: 205 records, ${statSync(gz).size + statSync(plain).size} bytes read, input ${plain}`);
  });

  it('--explain-format: one line per input; what each format said only for a named file that none read', () => {
    const dir = join(tempDir(), 'logs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(3));
    writeFileSync(join(dir, 'README.txt'), 'These are the logs of March.\n');
    const db = join(dir, '..', 'e.duckdb');
    const walked = runCli(['ingest', '--db', db, '--explain-format', dir]);
    expect(walked.status).toBe(0);
    const explained = walked.stdout.slice(walked.stdout.lastIndexOf('Store: ')).split('\n').slice(2).filter(Boolean);
    expect(explained.sort()).toEqual([
      `${join(dir, 'README.txt')}: not read: not a recognised log format (first line: "These are the logs of March.") (skipped: none of 20 formats matched; name the file itself to see what each said)`,
      expect.stringMatching(new RegExp(`^${join(dir, 'conn.log').replace(/[.]/g, '\\.')}: read as zeek-tsv`)),
    ]);
    const named = runCli(['ingest', '--db', db, '--explain-format', join(dir, 'README.txt')]);
    expect(named.status).toBe(1);
    expect(named.stdout).toContain(`${join(dir, 'README.txt')}: not read: not a recognised log format`);
    expect(named.stdout).toMatch(/^ {2}zeek-tsv: no$/m);
    expect(named.stdout).toMatch(/^ {2}asim-parquet: no$/m);
  });

  it('a directory that holds the store: the store\'s files are skipped as such, never read', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(3));
    const db = join(dir, 'here.duckdb');
    runCli(['ingest', '--db', db, join(dir, 'conn.log')]);
    const again = runCli(['ingest', '--db', db, '--output', 'json', dir]);
    expect(again.status).toBe(0);
    const inputs = (JSON.parse(again.stdout) as { inputs: Array<{ name: string; status: string; reason?: string }> }).inputs;
    expect(inputs.filter((input) => input.name.startsWith(db)).map(({ status, reason }) => [status, reason])).toEqual(
      expect.arrayContaining([['skipped', "the store's own file, not a log"]]),
    );
    expect(inputs.filter((input) => input.name.startsWith(db)).every((input) => input.reason === "the store's own file, not a log")).toBe(true);
    expect(inputs.find((input) => input.name === join(dir, 'conn.log'))?.status).toBe('unchanged');
  });

  it('--output json reports each input', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'conn.log'), zeekConnTsv(2));
    const result = runCli(['ingest', '--db', join(dir, 'x.duckdb'), '--output', 'json', join(dir, 'conn.log')]);
    const summary = JSON.parse(result.stdout);
    expect(summary.inputs).toEqual([expect.objectContaining({ name: join(dir, 'conn.log'), status: 'ingested', records: 2, format: 'zeek-tsv' })]);
  });

  /** Starts an ingest, kills it with SIGKILL once `ready` says it is mid-file, and reports whether it was. */
  async function killMidway(args: string[], ready: (progress: { records: number; bytes: number }) => boolean): Promise<string | undefined> {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    let stderr = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        for (const m of stderr.matchAll(/progress: (\d+) records, (\d+) bytes read/g)) {
          if (ready({ records: Number(m[1]), bytes: Number(m[2]) })) {
            child.kill('SIGKILL');
            resolve(true);
            return;
          }
        }
      });
      void exited.then(() => resolve(false));
    });
    await exited;
    return killed ? undefined : `the ingest finished before it could be interrupted; stderr: ${stderr}`;
  }

  async function expectNothingThenWhole(db: string, log: string, lines: number, extra: string[] = []): Promise<void> {
    const store = await openDuckDbStore(db);
    expect((await store.query('SELECT count(*) FROM ASimNetworkSessionLogs')).rows[0]![0]).toBe(0);
    expect(await store.lastLedgerEntry(log)).toBeUndefined();
    await store.close();
    const rerun = runCli(['ingest', '--db', db, '--output', 'json', ...extra, log]);
    expect(rerun.status).toBe(0);
    expect(JSON.parse(rerun.stdout).inputs[0]).toMatchObject({ status: 'ingested', records: lines });
  }

  it('an ingest killed mid-file (line reader) leaves nothing of that file, and a rerun ingests it whole', async () => {
    const dir = tempDir();
    const log = join(dir, 'big.log');
    const db = join(dir, 'kill.duckdb');
    const lines = 400_000;
    await writeBigConnLog(log, lines);
    const failure = await killMidway(['ingest', '--db', db, '--progress', 'log', '--no-bulk', log], (p) => p.records > 0 && p.records < lines);
    expect(failure).toBeUndefined();
    await expectNothingThenWhole(db, log, lines, ['--no-bulk']);
  });

  it('an ingest killed during DuckDB\'s bulk read leaves nothing of that file', async () => {
    const dir = tempDir();
    const log = join(dir, 'big.log');
    const db = join(dir, 'kill.duckdb');
    const lines = 1_000_000;
    await writeBigConnLog(log, lines);
    const size = statSync(log).size;
    // The scan has read the whole file and no record is counted yet: DuckDB's INSERT is running.
    const failure = await killMidway(['ingest', '--db', db, '--progress', 'log', log], (p) => p.bytes === size && p.records === 0);
    expect(failure).toBeUndefined();
    await expectNothingThenWhole(db, log, lines);
  });
});
