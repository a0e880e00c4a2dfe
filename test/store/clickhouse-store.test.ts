/**
 * The ClickHouse server store on a real two-shard 18.16 cluster (started once for this file): records spread over
 * the shards, the ASIM view shows committed ingests only, an ingest killed with SIGKILL leaves nothing visible and
 * a rerun completes it, the same content adds nothing (also when two ingests race), alerts are kept once, a shard
 * that is down is named in the error (never partial results) and recovers, and a password never reaches output.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASIM_COLUMNS } from '../../src/asim/schema.js';
import type { AlertRow, LedgerEntry } from '../../src/store/engine.js';
import { openStore, storeAddress } from '../../src/store/engines.js';
import { CLI, runCliAsync as runCli } from '../helpers/cli.js';
import { CLUSTER_HOOK_TIMEOUT, startTestCluster, type TestCluster } from '../helpers/clickhouse.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeBigConnLog, zeekConnTsv } from '../helpers/zeek.js';

let cluster: TestCluster;
const tempDir = useTempDir();

beforeAll(async () => {
  cluster = await startTestCluster();
}, CLUSTER_HOOK_TIMEOUT);

afterAll(async () => {
  await cluster?.dispose();
}, CLUSTER_HOOK_TIMEOUT);

const count = async (sql: string, node = 0): Promise<number> => Number(await cluster.sql(sql, node));

function connLog(lines: number, firstPort = 50000): string {
  const path = join(tempDir(), `conn-${lines}-${firstPort}.log`);
  writeFileSync(path, zeekConnTsv(lines, firstPort));
  return path;
}

describe('ClickHouse server store on a two-shard cluster', () => {
  it('spreads an ingest over both shards, shows it through the ASIM view with every schema column, and adds nothing twice', async () => {
    const url = cluster.url('spread');
    const log = connLog(2000);
    const first = await runCli(['ingest', '--db', url, '--progress', 'none', log]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const perShard = [await count('SELECT count() FROM spread.smbwatch_sessions_local', 0), await count('SELECT count() FROM spread.smbwatch_sessions_local', 1)];
    expect(perShard[0]! + perShard[1]!).toBe(2000);
    expect(Math.min(...perShard)).toBeGreaterThan(500);
    expect(await count('SELECT count() FROM spread.ASimNetworkSessionLogs')).toBe(2000);
    const columns = (await cluster.sql('DESCRIBE TABLE spread.ASimNetworkSessionLogs')).split('\n').map((line) => line.split('\t')[0]);
    expect(columns).toEqual(ASIM_COLUMNS.map((c) => c.name));

    const again = await runCli(['ingest', '--db', url, '--progress', 'none', log]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('unchanged');
    expect(await count('SELECT count() FROM spread.ASimNetworkSessionLogs')).toBe(2000);

    const status = await runCli(['status', '--db', url]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('Records: 2,000, TimeGenerated from 2024-03-04T09:00:01.000000Z to 2024-03-04T09:00:01.001999Z');
    const query = await runCli(['query', '--db', url, '--output', 'csv', 'ASimNetworkSessionLogs | summarize n = count() by SrcIpAddr, DstPortNumber']);
    expect(query.stderr).toBe('');
    expect(query.stdout).toBe('SrcIpAddr,DstPortNumber,n\n10.0.5.21,445,2000\n');
    // Each source with its time span, as on DuckDB.
    expect(status.stdout).toMatch(/^Corelight +Zeek +Flow +2,000 +2024-03-04T09:00:01\.000000Z +2024-03-04T09:00:01\.001999Z$/m);

    // Rejects: the total and a count per kind of reason, values blanked by the server's regular expressions.
    expect((await runCli(['ingest', '--db', url, '--progress', 'none', fileURLToPath(new URL('../fixtures/zeek/conn-rejects.json', import.meta.url))])).status).toBe(0);
    const rejects = await runCli(['rejects', '--db', url, '--limit', '2']);
    expect(rejects.stderr).toBe('');
    expect(rejects.stdout).toMatch(/^8 rejected records in 1 input, by reason:$/m);
    expect(rejects.stdout).toMatch(/^ +1 {2}zeek-json +id\.resp_p +id\.resp_p: … is not a port number \(0-65535\)$/m);
    expect(rejects.stdout).toMatch(/^ +1 {2}zeek-json +orig_bytes +orig_bytes: … is not a count \(unsigned integer\)$/m);
    expect(rejects.stdout).toMatch(/2 of 8 shown/);
  });

  it('ingests a directory of small files in one INSERT per shard (not a MergeTree part per file), a copy among them once', async () => {
    const url = cluster.url('many');
    const dir = tempDir();
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `conn-${i}.log`), zeekConnTsv(100, 10_000 + i * 100));
    writeFileSync(join(dir, 'copy-of-conn-0.log'), zeekConnTsv(100, 10_000));
    const result = await runCli(['ingest', '--db', url, '--progress', 'none', dir]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/duplicate|same content/);
    expect(await count('SELECT count() FROM many.ASimNetworkSessionLogs')).toBe(2000);
    expect(await count('SELECT count() FROM many.smbwatch_inputs')).toBe(20);
    // Each INSERT takes the next block number on a shard: one block means one INSERT for all twenty files.
    for (const node of [0, 1]) {
      expect(await count("SELECT max(max_block_number) FROM system.parts WHERE database = 'many' AND table = 'smbwatch_sessions_local'", node)).toBe(1);
    }
    const again = await runCli(['ingest', '--db', url, '--progress', 'none', dir]);
    expect(again.status).toBe(0);
    expect(await count('SELECT count() FROM many.ASimNetworkSessionLogs')).toBe(2000);
  });

  it('runs filters and aggregation on the shards: each shard returns its groups, not its rows (system.query_log)', async () => {
    const url = cluster.url('pushdown');
    const dir = tempDir();
    writeFileSync(join(dir, 'smb.log'), zeekConnTsv(3000));
    writeFileSync(join(dir, 'web.log'), zeekConnTsv(1000, 20_000).replaceAll('\t445\t', '\t443\t'));
    expect((await runCli(['ingest', '--db', url, '--progress', 'none', dir])).status).toBe(0);
    const marker = `pushdown-${Date.now()}`;
    const query = await runCli(['query', '--db', url, '--output', 'csv', `ASimNetworkSessionLogs | where DstPortNumber == 445 and EventProduct != '${marker}' | summarize n = count(), ports = dcount(SrcPortNumber) by SrcIpAddr`]);
    expect(query.stderr).toBe('');
    expect(query.stdout).toBe('SrcIpAddr,n,ports\n10.0.5.21,3000,3000\n');
    // What each shard was sent (the query log is flushed every 500 ms in the test cluster's config).
    const sent = async (node: number): Promise<string> => {
      for (let attempt = 0; attempt < 60; attempt++) {
        const rows = await cluster.sql(
          `SELECT concat(query, '\\t', toString(read_rows), '\\t', toString(result_rows)) FROM system.query_log ` +
            `WHERE is_initial_query = 0 AND type = 2 AND position(query, '${marker}') > 0 FORMAT TabSeparatedRaw`,
          node,
        ).catch(() => '');
        if (rows !== '') return rows;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`shard ${node + 1} logged no query with ${marker}`);
    };
    for (const node of [0, 1]) {
      const [text, read, result] = (await sent(node)).split('\t');
      expect(text).toContain('FROM pushdown.smbwatch_sessions_local');
      expect(text).toMatch(/WHERE .*DstPortNumber.*GROUP BY/);
      expect(Number(read)).toBeGreaterThan(500);
      expect(Number(result)).toBe(1); // one group per shard travels, not its rows
    }
  });

  it('an ingest killed with SIGKILL leaves no visible records; a rerun completes it and a third run adds nothing', async () => {
    const url = cluster.url('killed');
    const lines = 150_000;
    const log = join(tempDir(), 'big.log');
    await writeBigConnLog(log, lines);
    const child = spawn(process.execPath, [CLI, 'ingest', '--db', url, '--progress', 'none', log], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill as soon as the first rows have reached the shards, well before the ledger row.
    const deadline = Date.now() + 60_000;
    let raw = 0;
    while (raw === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      raw = await count('SELECT count() FROM killed.smbwatch_sessions').catch(() => 0);
    }
    child.kill('SIGKILL');
    await exited;
    expect(raw).toBeGreaterThan(0);
    expect(raw).toBeLessThan(lines);
    expect(await count('SELECT count() FROM killed.smbwatch_inputs')).toBe(0);
    expect(await count('SELECT count() FROM killed.ASimNetworkSessionLogs')).toBe(0);
    expect((await runCli(['status', '--db', url])).stdout).toContain('Records: 0');

    const rerun = await runCli(['ingest', '--db', url, '--progress', 'none', log]);
    expect(rerun.status).toBe(0);
    expect(await count('SELECT count() FROM killed.ASimNetworkSessionLogs')).toBe(lines);
    const third = await runCli(['ingest', '--db', url, '--progress', 'none', log]);
    expect(third.stdout).toContain('unchanged');
    expect(await count('SELECT count() FROM killed.ASimNetworkSessionLogs')).toBe(lines);
  });

  it('two processes that ingest the same content at once both commit, and the view shows it once', async () => {
    const address = storeAddress(cluster.url('race'));
    const [a, b] = [await openStore(address, { create: true }), await openStore(address, { create: true })];
    try {
      // Both consulted the ledger before either committed: both write the records and a ledger row.
      const records = Array.from({ length: 500 }, (_, i) => ({ TimeGenerated: 1_709_542_801_000_000 + i, SrcIpAddr: '10.0.5.21', DstPortNumber: 445 }));
      const [ta, tb] = [await a.beginIngest(), await b.beginIngest()];
      await Promise.all([ta.appendRecords(records), tb.appendRecords(records)]);
      const entry = (name: string): LedgerEntry => ({
        name, format: 'zeek-tsv', size: 100, offsetReached: 100, lineReached: 508, contentHash: 'same-content', resumedAfterLine: 0,
        records: 500, rejects: 0, ignored: 0, ingestedAt: new Date(),
      });
      await Promise.all([ta.commit(entry('/logs/conn.log')), tb.commit(entry('/copy/conn.log'))]);
      expect(await count('SELECT count() FROM race.smbwatch_inputs')).toBe(2);
      expect(await count('SELECT count() FROM race.smbwatch_sessions')).toBe(1000);
      expect(await count('SELECT count() FROM race.ASimNetworkSessionLogs')).toBe(500);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps each alert once by id, also when two processes store it at once', async () => {
    const address = storeAddress(cluster.url('alerts'));
    const [a, b] = [await openStore(address, { create: true }), await openStore(address, { create: true })];
    const row = (id: string, end: number): AlertRow => ({
      alertId: id, ruleId: 'r', ruleVersion: '1', ruleName: 'R', severity: 'Medium', displayName: `alert ${id}`,
      queryStart: end - 1000, queryEnd: end, json: JSON.stringify({ alertId: id }),
    });
    try {
      expect([...(await a.alerts.insertNew([row('x', 2000), row('y', 3000)]))].sort()).toEqual(['x', 'y']);
      expect(await a.alerts.insertNew([row('x', 2000)])).toEqual(new Set());
      await Promise.all([a.alerts.insertNew([row('z', 4000)]), b.alerts.insertNew([row('z', 4000)])]);
      expect(await b.alerts.list({})).toEqual(['{"alertId":"x"}', '{"alertId":"y"}', '{"alertId":"z"}']);
      expect(await b.alerts.list({ sinceMicros: 3000 })).toEqual(['{"alertId":"y"}', '{"alertId":"z"}']);
      expect(await a.alerts.lastQueryEnd('r', 4000)).toBe(3000);
      expect(await a.alerts.lastQueryEnd('other', 4000)).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps the watcher\'s schedule and outbox without transactions: every write may be repeated', async () => {
    const store = await openStore(storeAddress(cluster.url('watching')), { create: true });
    try {
      const watch = store.watchTables!;
      const t = (iso: string): Date => new Date(iso);
      expect(await watch.lastRun('rule')).toBeUndefined();
      await watch.recordRun('rule', 'r', t('2024-03-14T00:00:00Z'), t('2024-03-14T00:01:00Z'));
      await watch.recordRun('rule', 'r', t('2024-03-15T00:00:00Z'), t('2024-03-15T00:01:00Z'));
      expect(await watch.lastRun('rule')).toEqual(t('2024-03-15T00:00:00Z'));

      const alerts = [{ alertId: 'a', json: '{"alertId":"a"}' }, { alertId: 'b', json: '{"alertId":"b"}' }];
      const now = t('2024-03-15T00:02:00Z');
      await watch.enqueue(alerts, ['hook', 'file'], now);
      await watch.enqueue(alerts, ['hook', 'file'], now); // a run done again after a crash queues nothing twice
      const queued = await watch.outbox({});
      expect(queued.map((e) => `${e.sink}/${e.alertId}/${e.state}/${e.attempts}`)).toEqual(['file/a/pending/0', 'hook/a/pending/0', 'file/b/pending/0', 'hook/b/pending/0']);
      expect(queued[0]!.alertJson).toBe('{"alertId":"a"}');

      await watch.change('hook', 'a', { kind: 'retry', attempts: 1, nextAttemptAt: t('2024-03-15T01:00:00Z'), error: 'HTTP 503' });
      expect((await watch.outbox({ sink: 'hook', dueBy: now })).map((e) => e.alertId)).toEqual(['b']);
      const retried = (await watch.outbox({ sink: 'hook' }))[0]!;
      expect([retried.alertId, retried.attempts, retried.lastError, retried.nextAttemptAt.toISOString()]).toEqual(['a', 1, 'HTTP 503', '2024-03-15T01:00:00.000Z']);

      await watch.change('hook', 'b', { kind: 'parked', attempts: 1, error: 'HTTP 400' });
      expect((await watch.outbox({ state: 'parked' })).map((e) => `${e.sink}/${e.alertId}`)).toEqual(['hook/b']);
      expect(await watch.requeueParked(now)).toBe(1);
      expect(await watch.outbox({ state: 'parked' })).toEqual([]);

      await watch.change('file', 'a', { kind: 'delivered', attempts: 1, at: now });
      expect((await watch.deliveries()).map((d) => `${d.sink}/${d.alertId}/${d.attempts}`)).toEqual(['file/a/1']);
      await watch.enqueue(alerts, ['file'], now); // delivered once: never queued again
      expect((await watch.outbox({ sink: 'file' })).map((e) => e.alertId)).toEqual(['b']);
    } finally {
      await store.close();
    }
  });

  it('a shard that is down fails queries with an error naming it, never partial results; after a restart all is back', async () => {
    const url = cluster.url('shards');
    expect((await runCli(['ingest', '--db', url, '--progress', 'none', connLog(1000)])).status).toBe(0);
    await cluster.kill(1);
    try {
      const down = await runCli(['query', '--db', url, 'ASimNetworkSessionLogs | count']);
      expect(down.status).toBe(1);
      expect(down.stdout).toBe('');
      expect(down.stderr).toContain(`shard 2 (http://${cluster.nodes[1]!.host}:${cluster.nodes[1]!.httpPort}) of cluster c2 did not answer`);
    } finally {
      await cluster.restart(1);
    }
    const back = await runCli(['query', '--db', url, '--output', 'csv', 'ASimNetworkSessionLogs | count']);
    expect(back.stdout).toBe('Count\n1000\n');
  });

  it('never prints the password: not in status, --show-sql, errors, or a malformed URL message', async () => {
    const { name, password } = cluster.user;
    const node = cluster.nodes[0]!;
    const url = `clickhouse://${name}:${password}@${node.host}:${node.httpPort}/secret?cluster=${cluster.name}`;
    const ingest = await runCli(['ingest', '--db', url, '--progress', 'none', connLog(10)]);
    expect(ingest.status).toBe(0);
    const outputs = [
      ingest,
      ...(await Promise.all([
        runCli(['status', '--db', url]),
        runCli(['query', '--db', url, '--show-sql', 'ASimNetworkSessionLogs | take 1']),
        runCli(['query', '--db', url, 'ASimNetworkSessionLogs | where NoSuchColumn == 1']),
        runCli(['status', '--db', url.replace(password, `${password}x`)]),
        runCli(['status', '--db', `clickhouse://${name}:${password}@${node.host}:${node.httpPort}/bad-name`]),
        runCli(['status'], { SMBWATCH_DB: `clickhouse://${name}:${password}@127.0.0.1:1/x` }),
      ])),
    ];
    expect(outputs[1]!.stdout).toContain(`Store: clickhouse://${name}@${node.host}:${node.httpPort}/secret?cluster=c2`);
    expect(outputs[4]!.status).toBe(1);
    expect(outputs[5]!.status).toBe(2);
    expect(outputs[6]!.stderr).toContain(`cannot reach the ClickHouse server clickhouse://${name}@127.0.0.1:1/x`);
    for (const output of outputs) expect(`${output.stdout}${output.stderr}`).not.toContain(password);
  });
});
