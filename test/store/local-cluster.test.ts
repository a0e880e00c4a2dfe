/**
 * The loopback test cluster never leaves a server behind: stopping it ends its servers, and when the process that
 * started it dies without stopping it (a test worker killed on a timeout), the kernel ends them (parent-death signal).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLUSTER_HOOK_TIMEOUT, startTestCluster } from '../helpers/clickhouse.js';

/** Whether a process runs (a zombie waiting for its parent does not count). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

const LOCAL_CLUSTER = fileURLToPath(new URL('../../dist/store/clickhouse/local-cluster.js', import.meta.url));

describe('the loopback ClickHouse cluster', () => {
  it('stops every server it started', async () => {
    const cluster = await startTestCluster();
    const pids = cluster.pids();
    expect(pids).toHaveLength(2);
    expect(pids.every(running)).toBe(true);
    expect(await cluster.sql('SELECT count() FROM system.clusters WHERE cluster = \'c2\'')).toBe('2');
    await cluster.dispose();
    expect(pids.filter(running)).toEqual([]);
  }, CLUSTER_HOOK_TIMEOUT);

  it('takes its servers down with it when the process that started them is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smbwatch-orphan-'));
    const script = `const { startLocalCluster } = await import(${JSON.stringify(LOCAL_CLUSTER)});
      const cluster = await startLocalCluster({ dir: ${JSON.stringify(join(dir, 'cluster'))} });
      console.log(JSON.stringify(cluster.pids()));
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = await Promise.race([
        new Promise<string[]>((resolve) => createInterface({ input: child.stdout }).once('line', (l) => resolve([l]))),
        new Promise<string[]>((_, reject) => child.once('exit', (code) => reject(new Error(`the starter exited with ${code}`)))),
      ]);
      const pids = JSON.parse(line!) as number[];
      expect(pids).toHaveLength(2);
      expect(pids.every(running)).toBe(true);
      child.kill('SIGKILL');
      expect(await until(() => !pids.some(running), 30_000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, CLUSTER_HOOK_TIMEOUT);
});
