/**
 * The same logs give the same alerts on a two-shard ClickHouse 18.16 cluster as on the DuckDB store: `smbwatch
 * ingest` then `smbwatch run --at T`, as a user runs them, on the demo network and on the real public logs in the
 * repository. Alert ids are deterministic, so equal ids mean equal rule results; a second run stores nothing new.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData, logsDirOf } from '../../src/demo/generate.js';
import { runCliAsync } from '../helpers/cli.js';
import { CLUSTER_HOOK_TIMEOUT, startTestCluster, type TestCluster } from '../helpers/clickhouse.js';
import { REAL_DATA } from '../helpers/real.js';
import { useTempDir } from '../helpers/tmp.js';

// Generous: on 2 cores shared with a whole suite, the demo's two ingests and runs took minutes; a timeout is a hang detector.
let cluster: TestCluster;
const tempDir = useTempDir();

beforeAll(async () => {
  cluster = await startTestCluster();
}, CLUSTER_HOOK_TIMEOUT);

afterAll(async () => {
  await cluster?.dispose();
}, CLUSTER_HOOK_TIMEOUT);

async function ingest(db: string, paths: readonly string[]): Promise<void> {
  const result = await runCliAsync(['ingest', '--db', db, '--progress', 'none', ...paths]);
  expect(result.stderr, `ingest into ${db}`).toBe('');
  expect(result.status).toBe(0);
}

/** `smbwatch run` as JSON lines: one alert per line. */
async function alerts(db: string, at: string, extra: readonly string[] = []): Promise<Array<Record<string, unknown>>> {
  const result = await runCliAsync(['run', '--db', db, '--at', at, '--output', 'jsonl', ...extra]);
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
    await Promise.all([ingest(duck, [logsDirOf(dir)]), ingest(server, [logsDirOf(dir)])]);
    const at = new Date(manifest.evaluationTimeMicros / 1000).toISOString();
    const [onDuck, onServer] = await Promise.all([alerts(duck, at), alerts(server, at)]);
    expect(onDuck.length).toBeGreaterThan(0);
    expect(onServer).toEqual(onDuck);
    const again = await runCliAsync(['run', '--db', server, '--at', at]);
    expect(again.stdout).toContain(`(0 new, ${onDuck.length} already stored)`);
    const listed = await runCliAsync(['alerts', '--db', server, '--output', 'jsonl']);
    expect(listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { alertId: string }).alertId)).toEqual(onDuck.map((a) => a.alertId));

    // `smbwatch watch` on the cluster: the scheduled run at T delivers the same alerts to its sink, once.
    const delivered = join(dir, 'delivered.jsonl');
    const config = join(dir, 'watch.yaml');
    mkdirSync(join(dir, 'incoming'));
    writeFileSync(config, `db: "${server}"\ninputs: [incoming]\nschedule:\n  start: ${at}\n  end: ${at}\nsinks:\n  - type: jsonl\n    path: delivered.jsonl\n`);
    const watched = await runCliAsync(['watch', '--once', '--config', config]);
    expect(watched.status, watched.stderr).toBe(0);
    expect(watched.stderr).toContain(`ran Anomaly in SMB Traffic`);
    expect(watched.stderr).not.toMatch(/\berror\b/);
    const ids = (): string[] => readFileSync(delivered, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { alertId: string }).alertId).sort();
    expect(ids()).toEqual(onDuck.map((a) => String(a.alertId)).sort());
    const twice = await runCliAsync(['watch', '--once', '--config', config]);
    expect(twice.status, twice.stderr).toBe(0);
    expect(twice.stderr).not.toContain('ran Anomaly in SMB Traffic');
    expect(ids()).toEqual(onDuck.map((a) => String(a.alertId)).sort());
  }, 900_000);

  it('on the real public logs: the same records, the same per-source summary, the same alerts', async () => {
    const dir = tempDir();
    const duck = join(dir, 'real.duckdb');
    const server = cluster.url('real');
    const paths = [join(REAL_DATA, 'otrf'), join(REAL_DATA, 'stratosphere')];
    await Promise.all([ingest(duck, paths), ingest(server, paths)]);
    const summary =
      'ASimNetworkSessionLogs | summarize n = count(), bytes = sum(SrcBytes), t0 = min(TimeGenerated), t1 = max(TimeGenerated), ' +
      'ports = dcount(DstPortNumber), smb = countif(DstPortNumber in (139, 445)) by SrcIpAddr, EventProduct | order by SrcIpAddr asc, EventProduct asc';
    const query = async (db: string): Promise<string> => {
      const result = await runCliAsync(['query', '--db', db, '--output', 'csv', summary]);
      expect(result.stderr).toBe('');
      return result.stdout;
    };
    const [onDuck, onServer] = await Promise.all([query(duck), query(server)]);
    expect(onDuck.split('\n').length).toBeGreaterThan(10);
    expect(onServer).toBe(onDuck);
    // The rule at the day after the last record, with a threshold low enough to fire on these logs.
    const last = await runCliAsync(['query', '--db', duck, '--output', 'csv', 'ASimNetworkSessionLogs | summarize t = max(TimeGenerated) | extend t = startofday(t) + 1d']);
    const at = last.stdout.trim().split('\n')[1] ?? '';
    for (const threshold of ['0', '0.5']) {
      const param = ['--param', `threshold=${threshold}`];
      const [fromServer, fromDuck] = await Promise.all([alerts(server, at, param), alerts(duck, at, param)]);
      expect(fromServer).toEqual(fromDuck);
    }
  }, 600_000);
});
