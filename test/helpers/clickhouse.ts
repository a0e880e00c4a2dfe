/**
 * A two-shard ClickHouse 18.16 cluster on loopback for a test file (started once in beforeAll, stopped in
 * afterAll), and direct SQL to one node over HTTP for checks that must not go through smbwatch.
 *
 * The servers' files live on a tmpfs (/dev/shm) when there is one. A MergeTree part of the 172-column ASIM table is
 * some 600 files, and on a disk mounted with `discard` (as CI's is) each deleted file waits for the device: removing
 * one test file's cluster took over ten minutes on a busy machine, with the worker blocked in a synchronous rmSync
 * where no hook timeout could end it. On tmpfs removal is memory work, and it is asynchronous anyway.
 */
import { existsSync, mkdtempSync, statfsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickhouseServerBinary, startLocalCluster, type LocalCluster } from '../../src/store/clickhouse/local-cluster.js';

export interface TestCluster extends LocalCluster {
  /** Runs SQL on node `index` (default the first) and returns its TabSeparated text. */
  sql(text: string, index?: number): Promise<string>;
  /** Stops the servers and removes their files. */
  dispose(): Promise<void>;
}

/** Hook timeout for starting or disposing a cluster: generous, for 2 cores shared by several suites. */
export const CLUSTER_HOOK_TIMEOUT = 180_000;

const TMPFS = '/dev/shm';
/** Room a test file's cluster may need on the tmpfs (a few hundred MB at most). */
const TMPFS_ROOM = 2 * 1024 ** 3;

/** A scratch directory for the servers' files: on the tmpfs when it has room, else in the temp directory. */
function scratchRoot(): string {
  try {
    if (existsSync(TMPFS)) {
      const fs = statfsSync(TMPFS);
      if (fs.bavail * fs.bsize > TMPFS_ROOM) return TMPFS;
    }
  } catch {
    // no usable tmpfs: the temp directory
  }
  return tmpdir();
}

export async function startTestCluster(): Promise<TestCluster> {
  if (!clickhouseServerBinary()) {
    throw new Error('these tests need Debian\'s clickhouse-server (apt-get install clickhouse-server; .ci/run installs it)');
  }
  const dir = mkdtempSync(join(scratchRoot(), 'smbwatch-ch-'));
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({ dir });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...cluster,
    async sql(text, index = 0) {
      const node = cluster.nodes[index]!;
      const { status, body } = await post(node.host, node.httpPort, text);
      if (status !== 200) throw new Error(`node ${node.name}: ${body}`);
      return body.trim();
    },
    async dispose() {
      try {
        await cluster.stop('SIGKILL'); // the files go next: no need for a clean shutdown
      } finally {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}

/** One POST on a fresh connection (the server closes idle keep-alive connections after 3 s). */
function post(host: string, port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method: 'POST', path: '/', agent: false, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`node ${host}:${port} did not answer within 120 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
