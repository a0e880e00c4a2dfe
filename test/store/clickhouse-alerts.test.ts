/**
 * The same logs give the same alerts on a two-shard ClickHouse 18.16 cluster as on the DuckDB store: `smbwatch
 * ingest` then `smbwatch run --at T`, as a user runs them, on the demo network and on the real public logs in the
 * repository. Alert ids are deterministic, so equal ids mean equal rule results; a second run stores nothing new.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData, logsDirOf } from '../../src/demo/generate.js';
import { runCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/clickhouse.js';
import { REAL_DATA } from '../helpers/real.js';
import { useTempDir } from '../helpers/tmp.js';

let cluster: TestCluster;
const tempDir = useTempDir();

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.dispose();
}, 60_000);

function ingest(db: string, paths: readonly string[]): void {
  const result = runCli(['ingest', '--db', db, '--progress', 'none', ...paths]);
  expect(result.stderr, `ingest into ${db}`).toBe('');
  expect(result.status).toBe(0);
}

/** `smbwatch run` as JSON lines: one alert per line. */
function alerts(db: string, at: string, extra: readonly string[] = []): Array<Record<string, unknown>> {
  const result = runCli(['run', '--db', db, '--at', at, '--output', 'jsonl', ...extra]);
  expect(result.stderr, `run on ${db}`).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.trim() === '' ? [] : result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the same alerts on DuckDB and on a ClickHouse 18.16 cluster', () => {
  it('on the demo network: the planted episode, with the same alert id, stored once', async () => {
    const dir = tempDir();
    const manifest = await generateDemoData(dir, { seed: 11, workstations: 40 });
    const duck = join(dir, 'demo.duckdb');
    const server = cluster.url('demo');
    ingest(duck, [logsDirOf(dir)]);
    ingest(server, [logsDirOf(dir)]);
    const at = new Date(manifest.evaluationTimeMicros / 1000).toISOString();
    const onDuck = alerts(duck, at);
    const onServer = alerts(server, at);
    expect(onDuck.length).toBeGreaterThan(0);
    expect(onServer).toEqual(onDuck);
    const again = runCli(['run', '--db', server, '--at', at]);
    expect(again.stdout).toContain(`(0 new, ${onDuck.length} already stored)`);
    const listed = runCli(['alerts', '--db', server, '--output', 'jsonl']);
    expect(listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { alertId: string }).alertId)).toEqual(onDuck.map((a) => a.alertId));
  }, 300_000);

  it('on the real public logs: the same records, the same per-source summary, the same alerts', () => {
    const dir = tempDir();
    const duck = join(dir, 'real.duckdb');
    const server = cluster.url('real');
    const paths = [join(REAL_DATA, 'otrf'), join(REAL_DATA, 'stratosphere')];
    ingest(duck, paths);
    ingest(server, paths);
    const summary =
      'ASimNetworkSessionLogs | summarize n = count(), bytes = sum(SrcBytes), t0 = min(TimeGenerated), t1 = max(TimeGenerated), ' +
      'ports = dcount(DstPortNumber), smb = countif(DstPortNumber in (139, 445)) by SrcIpAddr, EventProduct | order by SrcIpAddr asc, EventProduct asc';
    const query = (db: string): string => {
      const result = runCli(['query', '--db', db, '--output', 'csv', summary]);
      expect(result.stderr).toBe('');
      return result.stdout;
    };
    const onDuck = query(duck);
    expect(onDuck.split('\n').length).toBeGreaterThan(10);
    expect(query(server)).toBe(onDuck);
    // The rule at the day after the last record, with a threshold low enough to fire on these logs.
    const last = runCli(['query', '--db', duck, '--output', 'csv', 'ASimNetworkSessionLogs | summarize t = max(TimeGenerated) | extend t = startofday(t) + 1d']);
    const at = last.stdout.trim().split('\n')[1] ?? '';
    for (const threshold of ['0', '0.5']) {
      const param = ['--param', `threshold=${threshold}`];
      expect(alerts(server, at, param)).toEqual(alerts(duck, at, param));
    }
  }, 300_000);
});
