/**
 * A ClickHouse cluster of N single-replica shards on loopback, started from the installed `clickhouse-server`
 * (Debian's 18.16 package) with per-node configs in a scratch directory: for tests and benchmarks, never for
 * users' data. Node i listens on its own loopback address 127.0.0.(i+1) with the same ports as the others — the shape
 * of a real cluster (one server per host, the same ports everywhere), which is what smbwatch expects when it finds
 * a cluster's shards in `system.clusters` and reaches each on the URL's HTTP port. The cluster is declared in every
 * node's `remote_servers` (no ZooKeeper: smbwatch sends DDL to each node). `stop()` ends the servers it started.
 *
 * The servers never outlive the process that started them: each is started through util-linux `setpriv
 * --pdeathsig KILL`, so the kernel kills it when its parent dies (a test worker killed on a timeout, a benchmark
 * interrupted). Ports are free ephemeral ports; another process may take one between the check and the server's
 * bind, so a node that exits while starting makes the whole cluster start again on new ports. A node counts as up
 * only when the server answering on its port carries this cluster's random token (never someone else's server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const SERVER_BINARIES = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'];
/** util-linux's setpriv: sets the parent-death signal, then execs the server (the child's pid is the server's). */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];
/** Start attempts when a port was taken under us. */
const START_ATTEMPTS = 4;

export interface LocalNode {
  readonly name: string;
  /** The node's own loopback address, 127.0.0.(i+1): 127.0.0.1 itself is avoided, as 18.16 takes it for "this server" on every node. */
  readonly host: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly interserverPort: number;
  readonly dir: string;
  process: ChildProcess | undefined;
  /** Set when the server could not be started at all (a missing binary). */
  spawnError?: Error;
}

export interface LocalCluster {
  readonly name: string;
  readonly nodes: readonly LocalNode[];
  /** A user with a password (random per cluster); `default` has none. */
  readonly user: { readonly name: string; readonly password: string };
  /** `clickhouse://127.0.0.2:<HTTP port>/<database>?cluster=<name>` (the first node). */
  url(database: string): string;
  /** The process ids of the servers running now (for checks that none is left behind). */
  pids(): number[];
  /** SIGKILLs one node (a crashed shard). */
  kill(index: number): Promise<void>;
  /** Starts a stopped or killed node again and waits until it answers. */
  restart(index: number): Promise<void>;
  /** Ends the servers: SIGTERM (a clean shutdown, SIGKILL if it takes over 20 s), or SIGKILL for scratch data. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
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
  <profiles><default><max_memory_usage>4000000000</max_memory_usage><log_queries>1</log_queries></default></profiles>
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

function nodeConfig(node: LocalNode, all: readonly LocalNode[], cluster: string, users: string, token: string): string {
  const shards = all
    .map((n) => `<shard><internal_replication>false</internal_replication><replica><host>${n.host}</host><port>${n.tcpPort}</port></replica></shard>`)
    .join('\n        ');
  return `<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>${node.dir}/log/server.log</log><errorlog>${node.dir}/log/server.err.log</errorlog><size>10M</size><count>1</count></logger>
    <listen_host>${node.host}</listen_host>
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
    <query_log><database>system</database><table>query_log</table><flush_interval_milliseconds>500</flush_interval_milliseconds></query_log>
    <macros><shard>${node.name}</shard><replica>${node.name}</replica><smbwatch_token>${token}</smbwatch_token></macros>
</yandex>
`;
}

/** Whether the server answering on the node's HTTP port is ours (its config carries the cluster's token). */
async function answersAsOurs(node: LocalNode, token: string): Promise<boolean> {
  const query = encodeURIComponent("SELECT substitution FROM system.macros WHERE macro = 'smbwatch_token'");
  try {
    const response = await fetch(`http://${node.host}:${node.httpPort}/?query=${query}`, { signal: AbortSignal.timeout(5_000) });
    return response.ok && (await response.text()).trim() === token;
  } catch {
    return false; // not listening yet, or too slow to answer: ask again
  }
}

/** The node's server exited (or never started); its exit status or signal as text. */
function exitOf(node: LocalNode): string | undefined {
  const child = node.process;
  if (node.spawnError) return `could not be started: ${node.spawnError.message}`;
  if (!child) return 'is not running';
  if (child.exitCode !== null) return `exited with status ${child.exitCode}`;
  if (child.signalCode !== null) return `was killed by ${child.signalCode}`;
  return undefined;
}

class NodeExitedError extends Error {}

async function waitUntilUp(node: LocalNode, token: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await answersAsOurs(node, token)) return;
    const exited = exitOf(node);
    if (exited) {
      throw new NodeExitedError(`clickhouse-server ${node.name} ${exited} (log: ${node.dir}/log/server.err.log)`);
    }
    if (Date.now() > deadline) throw new Error(`clickhouse-server ${node.name} did not answer on ${node.host}:${node.httpPort} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function launch(binary: string, node: LocalNode): void {
  const setpriv = SETPRIV.find((path) => existsSync(path));
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, `--config-file=${node.dir}/config.xml`]]
    : [binary, [`--config-file=${node.dir}/config.xml`]];
  node.spawnError = undefined;
  const child = spawn(command, args, { stdio: 'ignore' });
  child.on('error', (error) => {
    node.spawnError = error;
  });
  node.process = child;
}

/** Signals the node's server and waits for it to exit: SIGKILL after `graceMs`, and at most a further 10 s. */
async function terminate(node: LocalNode, signal: NodeJS.Signals, graceMs = 20_000): Promise<void> {
  const child = node.process;
  node.process = undefined;
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      timer = setTimeout(resolve, 10_000);
    }, graceMs);
  });
  await Promise.race([exited, deadline]);
  clearTimeout(timer);
}

/** Ports, directories and configs of a fresh attempt (new ports each time: one was taken under the last). */
async function layOut(dir: string, name: string, count: number, users: string, token: string): Promise<LocalNode[]> {
  const hosts = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
  const taken = new Set<number>();
  const pick = async (): Promise<number> => {
    const port = await freePort(hosts, taken);
    taken.add(port);
    return port;
  };
  const [httpPort, tcpPort, interserverPort] = [await pick(), await pick(), await pick()];
  const nodes: LocalNode[] = hosts.map((host, i) => {
    const nodeDir = join(dir, `n${i + 1}`);
    for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(join(nodeDir, sub), { recursive: true });
    writeFileSync(join(nodeDir, 'log', 'server.err.log'), ''); // portTaken reads this attempt's errors only
    return { name: `n${i + 1}`, host, httpPort, tcpPort, interserverPort, dir: nodeDir, process: undefined };
  });
  for (const node of nodes) writeFileSync(join(node.dir, 'config.xml'), nodeConfig(node, nodes, name, users, token));
  return nodes;
}

export async function startLocalCluster(options: { dir: string; shards?: number; name?: string }): Promise<LocalCluster> {
  const binary = clickhouseServerBinary();
  if (!binary) throw new Error(`clickhouse-server is not installed (looked for ${SERVER_BINARIES.join(', ')}; apt-get install clickhouse-server)`);
  const name = options.name ?? 'c2';
  const count = options.shards ?? 2;
  mkdirSync(options.dir, { recursive: true });
  const users = join(options.dir, 'users.xml');
  const password = randomBytes(12).toString('hex');
  const token = randomBytes(8).toString('hex');
  writeFileSync(users, usersXml(password));
  for (let attempt = 1; ; attempt++) {
    const nodes = await layOut(options.dir, name, count, users, token);
    const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
      await Promise.all(nodes.map((node) => terminate(node, signal)));
    };
    try {
      for (const node of nodes) launch(binary, node);
      for (const node of nodes) await waitUntilUp(node, token, 60_000);
    } catch (error) {
      await stop();
      if (error instanceof NodeExitedError && attempt < START_ATTEMPTS && portTaken(nodes)) continue;
      throw error;
    }
    return {
      name,
      nodes,
      user: { name: 'smbwatch', password },
      url: (database) => `clickhouse://${nodes[0]?.host}:${nodes[0]?.httpPort}/${database}?cluster=${name}`,
      pids: () => nodes.flatMap((node) => (node.process?.pid !== undefined && !exitOf(node) ? [node.process.pid] : [])),
      async kill(index) {
        const node = nodes[index];
        if (node) await terminate(node, 'SIGKILL');
      },
      async restart(index) {
        const node = nodes[index];
        if (!node) return;
        await terminate(node, 'SIGTERM');
        launch(binary, node);
        await waitUntilUp(node, token, 60_000);
      },
      stop,
    };
  }
}

/** Whether a node's log says a port was in use (another process took it between our check and its bind). */
function portTaken(nodes: readonly LocalNode[]): boolean {
  return nodes.some((node) => {
    try {
      return /Address already in use|Net Exception: Address/.test(readFileSync(join(node.dir, 'log', 'server.err.log'), 'utf8'));
    } catch {
      return false;
    }
  });
}
