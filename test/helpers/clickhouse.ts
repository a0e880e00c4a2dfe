/**
 * A two-shard ClickHouse 18.16 cluster on loopback for a test file (started once in beforeAll, stopped in
 * afterAll), and direct SQL to one node over HTTP for checks that must not go through smbwatch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

export async function startTestCluster(): Promise<TestCluster> {
  if (!clickhouseServerBinary()) {
    throw new Error('these tests need Debian\'s clickhouse-server (apt-get install clickhouse-server; .ci/run installs it)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'smbwatch-ch-'));
  const cluster = await startLocalCluster({ dir });
  return {
    ...cluster,
    async sql(text, index = 0) {
      const node = cluster.nodes[index]!;
      const { status, body } = await post(node.host, node.httpPort, text);
      if (status !== 200) throw new Error(`node ${node.name}: ${body}`);
      return body.trim();
    },
    async dispose() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One POST on a fresh connection (the server closes idle keep-alive connections after 3 s). */
function post(host: string, port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method: 'POST', path: '/', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
