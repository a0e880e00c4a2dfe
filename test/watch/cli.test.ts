/**
 * `smbwatch watch` as a user runs it: the built CLI in a child process (`npm test` builds dist/ first).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { CLI, runCli, spawn } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();

interface Running {
  readonly stderr: () => string;
  readonly stdout: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { stderr: () => stderr, stdout: () => stdout, exited, kill: (signal) => child.kill(signal) };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function writeConfig(dir: string, extra = ''): string {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const path = join(dir, 'smbwatch.yaml');
  writeFileSync(path, `db: watch.duckdb\ninputs: [logs]\npollInterval: 1h\nsinks:\n  - type: jsonl\n    path: alerts.jsonl\n${extra}`);
  return path;
}

describe('smbwatch watch (CLI)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops cleanly on ${signal}: ends its sleep, closes the store, exits 0`, async () => {
      const dir = tempDir();
      const config = writeConfig(dir);
      writeFileSync(join(dir, 'logs', 'conn.log'), zeekConnTsv(5));
      const watcher = start(['watch', '--config', config]);
      // The first tick ingests and runs the seed rule at today's 00:00 UTC, then sleeps (an hour at most).
      await waitFor(() => watcher.stderr().includes('ran Anomaly in SMB Traffic'), 'the first run');
      const sent = Date.now();
      watcher.kill(signal);
      const { code } = await watcher.exited;
      expect(code).toBe(0);
      expect(Date.now() - sent).toBeLessThan(10_000);
      expect(watcher.stderr()).toContain(`${signal}: stopping after the current step`);
      expect(watcher.stderr()).toMatch(/info +stopped\n$/);
      expect(watcher.stderr()).toContain('ingested');

      // The store is closed (no lock left behind) and holds what the tick did.
      const store = await openDuckDbStore(join(dir, 'watch.duckdb'));
      try {
        expect(Number((await store.query('SELECT count(*) FROM ASimNetworkSessionLogs')).rows[0]![0])).toBe(5);
        // Summary rules (keys `summary:<id>`) keep their last bin in the same table; only the analytic rules' runs here.
        const schedule = await store.query("SELECT rule_id, epoch_us(last_run_at) FROM smbwatch_schedule WHERE schedule_key NOT LIKE 'summary:%'");
        // The run the log reports, at a 00:00 UTC (the seed rule runs daily on the epoch-anchored grid).
        const ranAt = /ran Anomaly in SMB Traffic.* at (\S+):/.exec(watcher.stderr())![1]!;
        expect(ranAt).toMatch(/T00:00:00\.000Z$/);
        expect(schedule.rows.map(([id, at]) => [id, Number(at) / 1000])).toEqual([['8717e498-7b5d-4e23-9e7c-fa4913dbfd79', Date.parse(ranAt)]]);
      } finally {
        await store.close();
      }
    });
  }

  it('--once runs one tick and exits 0; a second --once has nothing left to run', () => {
    const dir = tempDir();
    const config = writeConfig(dir);
    const first = runCli(['watch', '--config', config, '--once']);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain('ran Anomaly in SMB Traffic');
    const second = runCli(['watch', '--config', config, '--once']);
    expect(second.status).toBe(0);
    expect(second.stderr).not.toContain('ran Anomaly');
  });

  it('exits 1 on an invalid configuration, naming file, line, key and problem', () => {
    const dir = tempDir();
    const config = join(dir, 'smbwatch.yaml');
    writeFileSync(config, 'inputs: [logs]\nsinks:\n  - type: webhook\n    url: not a url\n');
    const result = runCli(['watch', '--config', config]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`smbwatch watch: invalid configuration\n${config}:4:10: sinks[0].url: must be an http:// or https:// URL\n`);
  });

  it('--check validates and describes the setup without printing header secrets', () => {
    const dir = tempDir();
    const config = writeConfig(dir, '  - type: webhook\n    url: http://127.0.0.1:9/hook?token=abc\n    headers: {Authorization: "Bearer ${SOC_TOKEN}"}\n');
    const result = runCli(['watch', '--config', config, '--check'], { SOC_TOKEN: 'very-secret-token' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('sink webhook:127.0.0.1:9/hook: POST http://127.0.0.1:9/hook?*** [Authorization: ***]');
    expect(result.stderr).not.toContain('very-secret-token');
    expect(result.stderr).not.toContain('token=abc');
    expect(readFileSync(config, 'utf8')).toContain('${SOC_TOKEN}');
  });
});
