/**
 * One store, several smbwatch processes: a command meeting a busy store names the smbwatch command and PID that
 * holds it; with --wait it waits, and a long holder (watch, a long ingest) lets it in between its steps. The watch
 * loop reports a catch-up with progress lines instead of a line per empty run, delivers each run's alerts as soon
 * as the run is done, stops at schedule.end, and --check says which runs are due.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/types.js';
import type { QueryRunner } from '../../src/rules/evaluate.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { waiters } from '../../src/store/duckdb-lock.js';
import type { Store } from '../../src/store/engine.js';
import { storeQueryRunner } from '../../src/watch/kql-runner.js';
import { memoryLog } from '../../src/watch/log.js';
import { resolveRules } from '../../src/watch/rules.js';
import { Watcher } from '../../src/watch/watcher.js';
import { CLI, runCli, spawn } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';
import { writeStore } from '../run/stores.js';
import { ManualClock } from './helpers.js';

const tempDir = useTempDir();
const SMB_RULE = new URL('../fixtures/watch/rules/smb-sessions.yaml', import.meta.url).pathname;

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startCli(args: readonly string[]): { stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { stdout: () => stdout, stderr: () => stderr, exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

describe('a busy store', () => {
  it('names the smbwatch command and PID holding it; --wait waits, and the holder lets the waiter in between steps', async () => {
    const db = join(tempDir(), 'store.duckdb');
    await writeStore(db, [{ TimeGenerated: 1_709_542_801_000_000, SrcIpAddr: '10.0.0.1' }]);
    const store = await openDuckDbStore(db, { holder: 'smbwatch watch --config test.yaml' });
    try {
      const refused = runCli(['status', '--db', db]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(`^smbwatch status: the store ${db.replace(/[.]/g, '\\.')} is in use by \`smbwatch watch --config test\\.yaml\` \\(PID ${process.pid}, since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\); try again when it is done, or add --wait to wait for it\\n$`),
      );
      // The same for query and run (every command opens the store the same way).
      expect(runCli(['query', '--db', db, 'ASimNetworkSessionLogs | count']).stderr).toContain('is in use by `smbwatch watch --config test.yaml`');

      const waiting = startCli(['status', '--db', db, '--wait']);
      await until(() => waiters(db).length === 1, 'the waiting command to register');
      expect(waiting.stdout()).toBe('');
      // The holder, between two steps, lets the waiter in and takes the store back after it.
      const letIn = await store.letOthersIn();
      expect(letIn).toEqual([expect.stringMatching(/^`smbwatch status --db .* --wait` \(PID \d+\)$/)]);
      expect(await waiting.exited).toBe(0);
      expect(waiting.stdout()).toContain('Records: 1,');
      // Still usable after taking the store back.
      expect((await store.query('SELECT count(*) FROM ASimNetworkSessionLogs')).rows[0]![0]).toBe(1);
      // No waiter: nothing happens.
      expect(await store.letOthersIn()).toEqual([]);
    } finally {
      await store.close();
    }
    // Closed: the store is free again.
    expect(runCli(['status', '--db', db]).status).toBe(0);
  }, 120_000);
});

describe('a long ingest', () => {
  it('lets a command waiting for the store in between two inputs, and says so', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const files = 100;
    for (let i = 0; i < files; i++) writeFileSync(join(logs, `conn.${String(i).padStart(3, '0')}.log`), zeekConnTsv(2, 40000 + 2 * i));
    const db = join(dir, 'store.duckdb');
    // Each input commits on its own (no group of bulk inputs held across them), as a long ingest of big files does.
    const child = spawn(process.execPath, [CLI, 'ingest', '--db', db, '--progress', 'log', logs], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SMBWATCH_INGEST_GROUP_RECORDS: '1' },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const ingested = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await until(() => /progress: [1-9]\d* records/.test(stderr), 'the ingest to store its first input');
    const waiting = startCli(['status', '--db', db, '--wait']);
    expect(await waiting.exited).toBe(0);
    // It got the store part way through: some inputs were in, not all.
    const records = Number(/Records: ([\d,]+)/.exec(waiting.stdout())?.[1]?.replaceAll(',', ''));
    expect(records).toBeGreaterThan(0);
    expect(records).toBeLessThan(2 * files);
    expect(await ingested).toBe(0);
    expect(stderr).toMatch(/smbwatch ingest: let `smbwatch status --db .* --wait` \(PID \d+\) use the store; going on/);
    expect(runCli(['status', '--db', db]).stdout).toContain(`Records: ${2 * files},`);
  }, 240_000);
});

/** A store of SMB sessions 10.0.5.21 → 10.0.1.10:445, one at 2024-03-04T09:00:01Z (zeekConnTsv). */
async function watchedStore(dir: string): Promise<string> {
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'conn.log'), zeekConnTsv(3));
  const db = join(dir, 'watch.duckdb');
  expect(runCli(['ingest', '--db', db, logs]).status).toBe(0);
  return db;
}

describe('watch: a catch-up', () => {
  it('logs progress and the runs with alerts, not every empty run; delivers each run\'s alerts at once; stops at schedule.end', async () => {
    const dir = tempDir();
    const db = await watchedStore(dir);
    const events: string[] = [];
    const log = memoryLog();
    const watcher = new Watcher({
      inputs: [],
      pollIntervalMs: 60_000,
      // The hourly rule from 2024-03-03T00:00Z to 2024-03-05T00:00Z: 49 runs; only the one at 10:00Z on 03-04 sees
      // the sessions (stamped 09:00:01Z; the rule looks back one hour).
      schedule: { anchor: new Date(0), start: new Date('2024-03-03T00:00:00Z'), end: new Date('2024-03-05T00:00:00Z'), delayMs: 0 },
      rules: resolveRules({ file: 'test', rules: [{ kind: 'path', ref: SMB_RULE, params: {} }] }, new Date('2024-03-03T00:00:00Z')),
      sinks: [{ name: 'memory', description: 'memory', deliver: async (alert: Alert) => void events.push(`delivered ${alert.queryEndTime}`), close: async () => undefined }],
      clock: new ManualClock('2024-03-10T00:00:00Z'),
      openStore: () => openDuckDbStore(db),
      log,
      runner: (store: Store): QueryRunner => {
        const real = storeQueryRunner(store);
        return { run: async (text, at, lookback) => (events.push(`ran ${at.toISOString()}`), real.run(text, at, lookback)) };
      },
      progressIntervalMs: 0,
    });
    const report = await watcher.tick();
    expect(report.runs).toHaveLength(49);
    expect(report.runs.filter((run) => run.alerts > 0).map((run) => run.at.toISOString())).toEqual(['2024-03-04T10:00:00.000Z']);
    // Delivered right after its run, before the next one.
    const delivered = events.indexOf('delivered 2024-03-04T10:00:00.000Z');
    expect(events[delivered - 1]).toBe('ran 2024-03-04T10:00:00.000Z');
    expect(events[delivered + 1]).toBe('ran 2024-03-04T11:00:00.000Z');
    // One line to start, a progress line per run here (interval 0) but no "ran" line per empty run, one summary.
    expect(log.lines[0]).toBe('info catching up SMB sessions in the last hour (5b0e5a5e-0000-4000-8000-00000000a1e7): 49 runs due from 2024-03-03T00:00:00.000Z to 2024-03-05T00:00:00.000Z');
    expect(log.lines.filter((line) => line.startsWith('info ran '))).toEqual([
      'info ran SMB sessions in the last hour (5b0e5a5e-0000-4000-8000-00000000a1e7) at 2024-03-04T10:00:00.000Z: 1 rows, 1 alerts (1 new)',
    ]);
    expect(log.lines).toContain('info catching up SMB sessions in the last hour: 24 of 49 runs done (up to 2024-03-03T23:00:00.000Z), 0 alerts so far');
    expect(log.lines.at(-1)).toBe(
      'info caught up SMB sessions in the last hour: 49 of 49 runs from 2024-03-03T00:00:00.000Z to 2024-03-05T00:00:00.000Z, 1 with alerts (1 alerts, 1 new)',
    );
    // schedule.end: nothing more is due, and nothing is next.
    const again = await watcher.tick();
    expect(again.runs).toEqual([]);
    expect(again.nextRunAt).toBeUndefined();
  }, 120_000);

  it('lets a command waiting for the store in between two runs', async () => {
    const dir = tempDir();
    const db = await watchedStore(dir);
    const log = memoryLog();
    let waiting: ReturnType<typeof startCli> | undefined;
    const watcher = new Watcher({
      inputs: [],
      pollIntervalMs: 60_000,
      schedule: { anchor: new Date(0), start: new Date('2024-03-04T00:00:00Z'), end: new Date('2024-03-04T03:00:00Z'), delayMs: 0 },
      rules: resolveRules({ file: 'test', rules: [{ kind: 'path', ref: SMB_RULE, params: {} }] }, new Date('2024-03-04T00:00:00Z')),
      sinks: [],
      clock: new ManualClock('2024-03-10T00:00:00Z'),
      openStore: () => openDuckDbStore(db, { holder: 'smbwatch watch (test)' }),
      log,
      runner: (store: Store): QueryRunner => {
        const real = storeQueryRunner(store);
        return {
          run: async (text, at, lookback) => {
            // During the first run, `smbwatch alerts --wait` starts and finds the store busy.
            if (!waiting) {
              waiting = startCli(['alerts', '--db', db, '--wait']);
              await until(() => waiters(db).length === 1, 'the waiting command to register');
            }
            return real.run(text, at, lookback);
          },
        };
      },
    });
    const report = await watcher.tick();
    expect(report.runs).toHaveLength(4);
    expect(await waiting!.exited).toBe(0);
    expect(waiting!.stdout()).toBe('0 alerts\n');
    expect(log.lines.filter((line) => line.includes('use the store'))).toEqual([
      expect.stringMatching(/^info let `smbwatch alerts --db .* --wait` \(PID \d+\) use the store \(\d+\.\d s\); going on$/),
    ]);
  }, 120_000);
});

describe('watch --check', () => {
  function config(dir: string, extra: string): string {
    const path = join(dir, 'smbwatch.yaml');
    writeFileSync(path, `db: watch.duckdb\ninputs: [logs]\nrules:\n  - path: ${SMB_RULE}\nsinks:\n  - type: jsonl\n    path: alerts.jsonl\n${extra}`);
    return path;
  }

  it('fails on an input that does not exist', () => {
    const dir = tempDir();
    const result = runCli(['watch', '--check', '--config', config(dir, '')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error input ${join(dir, 'logs')}: no such file or directory`);
  });

  it('states the pending catch-up: how many runs, the first and the last', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'logs'));
    // Hourly from 2024-03-04T00:00Z to 2024-03-05T00:00Z inclusive: 25 runs, all in the past.
    const result = runCli(['watch', '--check', '--config', config(dir, 'schedule:\n  start: 2024-03-04T00:00:00Z\n  end: 2024-03-05T00:00:00Z\n')]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('schedule from 2024-03-04T00:00:00.000Z until 2024-03-05T00:00:00.000Z (no run after it)');
    expect(result.stderr).toContain(
      'rule SMB sessions in the last hour: never ran; catch-up pending: 25 runs due now, from 2024-03-04T00:00:00.000Z to 2024-03-05T00:00:00.000Z; no run after that (schedule.end)',
    );
  });
});
