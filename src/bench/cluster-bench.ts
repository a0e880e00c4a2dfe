/**
 * ClickHouse cluster benchmark (issue 12): the seed rule over 14 days of generated records on DuckDB, on embedded
 * ClickHouse (chdb) and on a two-shard ClickHouse 18.16 cluster on loopback (smbwatch's server store, the
 * old-server dialect); and ingest throughput into the cluster, `smbwatch ingest` of a Zeek conn.log against
 * `clickhouse-client` inserting the same records as TSV.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileKql } from '../kql/compile.js';
import { startLocalCluster, type LocalCluster } from '../store/clickhouse/local-cluster.js';
import { openStore, storeAddress } from '../store/engines.js';
import { openDuckDbStore, SESSIONS_TABLE } from '../store/duckdb.js';
import type { Store } from '../store/engine.js';
import { BENCH_NOW_US, GENERATED_COLUMNS, generateSql, seedRuleQuery, timed } from './kql-bench.js';
import { writeZeekConnLog } from './zeek-generator.js';

const DAY_US = 86_400_000_000;
const CLIENT = '/usr/bin/clickhouse-client';
const CLI = fileURLToPath(new URL('../../bin/smbwatch.js', import.meta.url));

/**
 * Pipes a file into `clickhouse-client --query` on the first node; resolves with the seconds it took. Blocks of
 * 64Ki rows: a block of a million rows of the ~170-column table needs more than the server's 4 GB query limit.
 */
function clientInsert(cluster: LocalCluster, query: string, file: string): Promise<number> {
  const node = cluster.nodes[0]!;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(CLIENT, ['--host', node.host, '--port', String(node.tcpPort), '--insert_distributed_sync=1', '--max_insert_block_size=65536', '--query', query], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    createReadStream(file).pipe(child.stdin);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`clickhouse-client exited ${code}`))));
  });
}

/** The seed rule on a store (median of 3), with the store's own dialect. */
async function seedRuleOn(store: Store): Promise<{ seconds: number; rows: number }> {
  const compiled = compileKql(seedRuleQuery(), { engine: store.dialect, now: BENCH_NOW_US, lookback: 14 * DAY_US });
  const { seconds, result } = await timed(store, compiled.sql, 3);
  return { seconds, rows: result.rows.length };
}

/** Generates the records in DuckDB, times the seed rule there, and writes them as TSV for the other engines. */
async function duckDbSide(dir: string, records: number): Promise<{ seconds: number; rows: number; tsv: string }> {
  const store = await openDuckDbStore(join(dir, 'bench.duckdb'));
  try {
    await store.ensureColumns(GENERATED_COLUMNS);
    for (const statement of generateSql(records).split(';').filter((s) => s.trim())) await store.query(statement);
    const figures = await seedRuleOn(store);
    const tsv = join(dir, 'sessions.tsv');
    const columns = GENERATED_COLUMNS.map((c) => (c === 'TimeGenerated' ? 'epoch_us(TimeGenerated)' : c)).join(', ');
    await store.query(`COPY (SELECT ${columns} FROM ${SESSIONS_TABLE}) TO '${tsv}' (FORMAT CSV, DELIMITER '\t', HEADER false)`);
    return { ...figures, tsv };
  } finally {
    await store.close();
  }
}

/** chdb over the same records, loaded from the TSV. */
async function chdbSide(dir: string, tsv: string): Promise<{ seconds: number; rows: number }> {
  const { ChdbEngine } = await import('../store/chdb.js');
  const { clickhouse } = await import('../kql/sql/clickhouse.js');
  const engine = ChdbEngine.open(join(dir, 'chdb'));
  try {
    await engine.createAsimTable();
    const types = "TimeGenerated Int64, SrcIpAddr String, DstIpAddr String, DstPortNumber Nullable(Int32), EventCount Nullable(Int64)";
    await engine.exec(
      `INSERT INTO ${clickhouse.ident('ASimNetworkSessionLogs')} (${GENERATED_COLUMNS.join(', ')}) ` +
        `SELECT fromUnixTimestamp64Micro(TimeGenerated, 'UTC'), SrcIpAddr, DstIpAddr, DstPortNumber, EventCount FROM file(${clickhouse.string(tsv)}, TSV, ${clickhouse.string(types)})`,
    );
    const compiled = compileKql(seedRuleQuery(), { engine: 'clickhouse', now: BENCH_NOW_US, lookback: 14 * DAY_US });
    const { seconds, result } = await timed(engine, compiled.sql, 3);
    return { seconds, rows: result.rows.length };
  } finally {
    engine.close();
  }
}

/** A cluster store holding the TSV's records (loaded by clickhouse-client, made visible by one ledger row). */
async function clusterSide(cluster: LocalCluster, tsv: string): Promise<{ seconds: number; rows: number; loadSeconds: number }> {
  const store = await openStore(storeAddress(cluster.url('bench')), { create: true });
  try {
    const loadSeconds = await clientInsert(cluster, `INSERT INTO bench.smbwatch_sessions (${GENERATED_COLUMNS.join(', ')}) FORMAT TabSeparated`, tsv);
    await store.query(
      "INSERT INTO bench.smbwatch_inputs (batch, name, format, content_hash) VALUES (0, 'generated', 'bench', 'generated')",
    );
    return { ...(await seedRuleOn(store)), loadSeconds };
  } finally {
    await store.close();
  }
}

/** `smbwatch ingest` of a generated Zeek conn.log into the cluster, against clickhouse-client inserting those records. */
async function ingestSide(dir: string, cluster: LocalCluster, records: number): Promise<{ ours: number; client: number; records: number }> {
  const log = join(dir, 'conn.log');
  await writeZeekConnLog(log, records);
  const started = performance.now();
  execFileSync(process.execPath, [CLI, 'ingest', '--db', cluster.url('ingest'), '--progress', 'none', log], { stdio: 'ignore' });
  const ours = (performance.now() - started) / 1000;
  const store = await openStore(storeAddress(cluster.url('ingest')));
  const count = Number((await store.query('SELECT count() FROM ASimNetworkSessionLogs')).rows[0]?.[0] ?? 0);
  await store.close();
  // The same records as TSV, every column the ingest set, inserted into a fresh store by clickhouse-client.
  const tsv = join(dir, 'ingested.tsv');
  const node = cluster.nodes[0]!;
  execFileSync('sh', ['-c', `${CLIENT} --host ${node.host} --port ${node.tcpPort} --query "SELECT * FROM ingest.smbwatch_sessions FORMAT TabSeparated" > '${tsv}'`]);
  const target = await openStore(storeAddress(cluster.url('copy')), { create: true });
  await target.close();
  const client = await clientInsert(cluster, 'INSERT INTO copy.smbwatch_sessions FORMAT TabSeparated', tsv);
  return { ours, client, records: count };
}

export async function clusterBenchmark(records: number, ingestRecords: number): Promise<string> {
  if (!existsSync(CLIENT)) throw new Error(`the cluster benchmark needs ${CLIENT} (apt-get install clickhouse-client)`);
  const dir = mkdtempSync(join(tmpdir(), 'smbwatch-cluster-bench-'));
  const cluster = await startLocalCluster({ dir: join(dir, 'cluster') });
  try {
    process.stderr.write(`cluster: generating ${records.toLocaleString('en-US')} ASIM records, the seed rule on DuckDB…\n`);
    const duck = await duckDbSide(dir, records);
    process.stderr.write('cluster: the same on chdb…\n');
    const ch = await chdbSide(dir, duck.tsv);
    process.stderr.write('cluster: loading the two-shard 18.16 cluster with clickhouse-client, the seed rule there…\n');
    const server = await clusterSide(cluster, duck.tsv);
    if (server.rows !== duck.rows || ch.rows !== duck.rows) throw new Error(`row counts differ: DuckDB ${duck.rows}, chdb ${ch.rows}, cluster ${server.rows}`);
    process.stderr.write(`cluster: ingesting ${ingestRecords.toLocaleString('en-US')} Zeek records into the cluster…\n`);
    const ingest = await ingestSide(dir, cluster, ingestRecords);
    const total = records + 6100;
    const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en-US')}/s`;
    return `## ClickHouse cluster: the seed rule on DuckDB, chdb and two 18.16 shards; ingest into the cluster (issue 12)

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}; the
cluster is two Debian clickhouse-server 18.16 processes on loopback (src/store/clickhouse/local-cluster.ts) sharing
those cores. Data: ${total.toLocaleString('en-US')} generated ASIM records over 15 days (the KQL benchmark's generator;
${Math.round(total / 15).toLocaleString('en-US')} a day — the issue's target is 10M a day, set BENCH_CLUSTER_RECORDS=150000000);
the seed rule v1.0.0 with its 14-day look-back, ${duck.rows} result rows on every engine. Median of 3 runs.

| engine | seed rule | vs DuckDB |
|---|---:|---:|
| DuckDB (store file) | ${duck.seconds.toFixed(2)} s | 1.00× |
| ClickHouse 26 (chdb, one table) | ${ch.seconds.toFixed(2)} s | **${(ch.seconds / duck.seconds).toFixed(2)}×** |
| ClickHouse 18.16, two shards (server store: committed records of the Distributed table, filters and aggregation on the shards) | ${server.seconds.toFixed(2)} s | **${(server.seconds / duck.seconds).toFixed(2)}×** |

Loading the cluster with clickhouse-client (TSV through the Distributed table, synchronous): ${server.loadSeconds.toFixed(1)} s,
${rate(total, server.loadSeconds)}.

| ingest into the cluster (${ingest.records.toLocaleString('en-US')} records) | time | records/s | ratio |
|---|---:|---:|---:|
| clickhouse-client, the same records as TSV (baseline) | ${ingest.client.toFixed(1)} s | ${rate(ingest.records, ingest.client)} | 1.00× |
| \`smbwatch ingest\` of the Zeek conn.log (parse, map, ledger, JSON over HTTP) | ${ingest.ours.toFixed(1)} s | ${rate(ingest.records, ingest.ours)} | **${(ingest.ours / ingest.client).toFixed(2)}×** |
`;
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

