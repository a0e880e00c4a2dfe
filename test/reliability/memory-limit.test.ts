/**
 * `--memory-limit` is honoured by ingest, run and query: under a limit too small for the work, each stops with a
 * message that names the limit and the option that raises it (never DuckDB's `SET threads=X` advice), and the
 * store keeps what it held; under a modest limit the same work completes.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeBigConnLog } from '../helpers/zeek.js';

const tempDir = useTempDir();
const AT = '2024-03-05T00:00:00Z';
const LIMIT_MESSAGE = /the store's memory limit \([\d.]+ [KM]iB\) was reached: .*; raise it with --memory-limit \(e\.g\. --memory-limit 4GB/;

describe('--memory-limit', () => {
  it('stops ingest, run and query with a message naming the limit; the store is unchanged; a modest limit completes', { timeout: 300_000 }, async () => {
    const dir = tempDir();
    const db = join(dir, 'store.duckdb');
    await writeBigConnLog(join(dir, 'first.log'), 50_000);
    await writeBigConnLog(join(dir, 'second.log'), 20_000);
    const cli = (...args: string[]) => runCli([...args.slice(0, 1), '--db', db, ...args.slice(1)]);
    const count = () => JSON.parse(cli('query', '--at', AT, '--output', 'json', 'ASimNetworkSessionLogs | count').stdout) as unknown;
    expect(cli('ingest', '--progress', 'none', join(dir, 'first.log')).status).toBe(0);

    const failures = {
      ingest: cli('ingest', '--progress', 'none', '--memory-limit', '2MB', join(dir, 'second.log')),
      run: cli('run', '--at', AT, '--memory-limit', '1MB', '--output', 'json'),
      query: cli('query', '--at', AT, '--memory-limit', '1MB', 'ASimNetworkSessionLogs | summarize n = count() by SrcIpAddr, SrcPortNumber'),
    };
    for (const [command, result] of Object.entries(failures)) {
      expect(result.status, `${command}: ${result.stderr}`).toBe(1);
      expect(result.stderr, command).toMatch(LIMIT_MESSAGE);
      expect(result.stderr, command).not.toMatch(/SET threads|Out of Memory Error|at .*\.js:\d+/);
    }
    expect(failures.ingest.stderr).toMatch(/second\.log: .*nothing of this input was stored/);
    expect(count()).toEqual([{ Count: 50_000 }]);
    expect(JSON.parse(cli('alerts', '--output', 'json').stdout)).toEqual([]);

    // Modest limits: the same work completes (DuckDB spills what does not fit).
    expect(cli('ingest', '--progress', 'none', '--memory-limit', '64MB', join(dir, 'second.log')).status).toBe(0);
    const run = cli('run', '--at', AT, '--memory-limit', '64MB', '--output', 'json');
    expect(run.status, run.stderr).toBe(0);
    const grouped = cli('query', '--at', AT, '--memory-limit', '64MB', '--output', 'json', 'ASimNetworkSessionLogs | summarize n = count() by SrcIpAddr, SrcPortNumber | count');
    expect(grouped.status, grouped.stderr).toBe(0);
    expect(count()).toEqual([{ Count: 70_000 }]);
  });
});
