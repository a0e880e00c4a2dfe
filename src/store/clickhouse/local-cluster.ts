/**
 * A ClickHouse cluster of N single-replica shards on loopback, started from the installed `clickhouse-server`
 * (Debian's 18.16 package) with per-node configs in a scratch directory: for tests and benchmarks, never for
 * users' data. Node i listens on its own loopback address 127.0.0.(i+1) with the same ports as the others — the shape
 * of a real cluster (one server per host, the same ports everywhere), which is what smbwatch expects when it finds
 * a cluster's shards in `system.clusters` and reaches each on the URL's HTTP port. The cluster is declared in every
 * node's `remote_servers` (no ZooKeeper: smbwatch sends DDL to each node). `stop()` ends the servers it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SERVER_BINARIES = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'];

export interface LocalNode {
  readonly name: string;
  /** The node's own loopback address, 127.0.0.(i+1): 127.0.0.1 itself is avoided, as 18.16 takes it for "this server" on every node. */
  readonly host: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly interserverPort: number;
  readonly dir: string;
  process: ChildProcess | undefined;
}

export interface LocalCluster {
  readonly name: string;
  readonly nodes: readonly LocalNode[];
  /** A user with a password (random per cluster); `default` has none. */
  readonly user: { readonly name: string; readonly password: string };
  /** `clickhouse://127.0.0.2:<HTTP port>/<database>?cluster=<name>` (the first node). */
  url(database: string): string;
  /** SIGKILLs one node (a crashed shard). */
  kill(index: number): Promise<void>;
  /** Starts a stopped or killed node again and waits until it answers. */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

export function clickhouseServerBinary(): string | undefined {
  return SERVER_BINARIES.find((path) => existsSync(path));
}

async function listenOnce(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A port free on every one of these addresses. */
async function freePort(hosts: readonly string[], taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(hosts[0] ?? '127.0.0.1', 0);
    if (port === undefined || taken.has(port)) continue;
    const elsewhere = await Promise.all(hosts.slice(1).map((host) => listenOnce(host, port)));
    if (elsewhere.every((p) => p === port)) return port;
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}

/** `default` without a password, and `smbwatch` with one (to check that smbwatch never prints it). */
const usersXml = (password: string): string => `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.0/8</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    <smbwatch>
      <password>${password}</password>
      <networks><ip>::1</ip><ip>127.0.0.0/8</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </smbwatch>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

function nodeConfig(node: LocalNode, all: readonly LocalNode[], cluster: string, users: string): string {
  const shards = all
    .map((n) => `<shard><internal_replication>false</internal_replication><replica><host>${n.host}</host><port>${n.tcpPort}</port></replica></shard>`)
    .join('\n        ');
  return `<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>${node.dir}/log/server.log</log><errorlog>${node.dir}/log/server.err.log</errorlog><size>10M</size><count>1</count></logger>
    <listen_host>${node.host}</listen_host>
    <listen_try>1</listen_try>
    <http_port>${node.httpPort}</http_port>
    <tcp_port>${node.tcpPort}</tcp_port>
    <interserver_http_port>${node.interserverPort}</interserver_http_port>
    <interserver_http_host>${node.host}</interserver_http_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>50</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>${node.dir}/data/</path>
    <tmp_path>${node.dir}/tmp/</tmp_path>
    <user_files_path>${node.dir}/user_files/</user_files_path>
    <format_schema_path>${node.dir}/format_schemas/</format_schema_path>
    <users_config>${users}</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <remote_servers>
      <${cluster}>
        ${shards}
      </${cluster}>
    </remote_servers>
    <macros><shard>${node.name}</shard><replica>${node.name}</replica></macros>
</yandex>
`;
}

async function waitUntilUp(node: LocalNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://${node.host}:${node.httpPort}/ping`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (node.process?.exitCode !== null && node.process?.exitCode !== undefined) {
      throw new Error(`clickhouse-server ${node.name} exited with status ${node.process.exitCode} (log: ${node.dir}/log/server.err.log)`);
    }
    if (Date.now() > deadline) throw new Error(`clickhouse-server ${node.name} did not answer on port ${node.httpPort} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function launch(binary: string, node: LocalNode): void {
  const child = spawn(binary, [`--config-file=${node.dir}/config.xml`], { stdio: 'ignore' });
  child.on('error', () => undefined);
  node.process = child;
}

async function terminate(node: LocalNode, signal: NodeJS.Signals): Promise<void> {
  const child = node.process;
  node.process = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export async function startLocalCluster(options: { dir: string; shards?: number; name?: string }): Promise<LocalCluster> {
  const binary = clickhouseServerBinary();
  if (!binary) throw new Error(`clickhouse-server is not installed (looked for ${SERVER_BINARIES.join(', ')}; apt-get install clickhouse-server)`);
  const name = options.name ?? 'c2';
  const count = options.shards ?? 2;
  const hosts = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    const port = await freePort(hosts, taken);
    taken.add(port);
    return port;
  };
  const [httpPort, tcpPort, interserverPort] = [await pick(), await pick(), await pick()];
  const nodes: LocalNode[] = hosts.map((host, i) => {
    const dir = join(options.dir, `n${i + 1}`);
    for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub), { recursive: true });
    return { name: `n${i + 1}`, host, httpPort, tcpPort, interserverPort, dir, process: undefined };
  });
  const users = join(options.dir, 'users.xml');
  const password = randomBytes(12).toString('hex');
  writeFileSync(users, usersXml(password));
  for (const node of nodes) writeFileSync(join(node.dir, 'config.xml'), nodeConfig(node, nodes, name, users));
  const cluster: LocalCluster = {
    name,
    nodes,
    user: { name: 'smbwatch', password },
    url: (database) => `clickhouse://${nodes[0]?.host}:${httpPort}/${database}?cluster=${name}`,
    async kill(index) {
      const node = nodes[index];
      if (node) await terminate(node, 'SIGKILL');
    },
    async restart(index) {
      const node = nodes[index];
      if (!node) return;
      await terminate(node, 'SIGTERM');
      launch(binary, node);
      await waitUntilUp(node, 30_000);
    },
    async stop() {
      await Promise.all(nodes.map((node) => terminate(node, 'SIGTERM')));
    },
  };
  try {
    for (const node of nodes) launch(binary, node);
    for (const node of nodes) await waitUntilUp(node, 30_000);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
