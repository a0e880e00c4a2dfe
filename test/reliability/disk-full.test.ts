/**
 * A store on a disk that fills up: ingest and run stop with a message that says so (not the engine's words), and
 * the store keeps exactly what it held before — checked once space is back, by reading it and by ingesting the
 * same input again. The disk is a small tmpfs mounted by the test where it may mount (root, as in CI), else the
 * same write failures come from a file size limit (`ulimit -f`); the test says which it used.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, type CliResult } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeBigConnLog, zeekConnTsv } from '../helpers/zeek.js';

const tempDir = useTempDir();
const mounts: string[] = [];
afterEach(() => {
  for (const mount of mounts.splice(0)) spawnSync('umount', [mount]);
});

const RULE = `id: 0f0e0d0c-0000-4000-8000-00000000d15c
name: Every SMB source
description: One alert per source talking SMB.
severity: Low
status: Available
kind: Scheduled
version: 1.0.0
queryFrequency: 1d
queryPeriod: 14d
triggerOperator: gt
triggerThreshold: 0
tactics: [LateralMovement]
relevantTechniques: [T1021.002]
query: |
  ASimNetworkSessionLogs
  | where DstPortNumber == 445
  | summarize Sessions = count() by SrcIpAddr
eventGroupingSettings:
  aggregationKind: AlertPerResult
`;

interface Disk {
  readonly kind: 'tmpfs' | 'ulimit -f';
  readonly dir: string;
  /** Runs the CLI with the disk as full as `fill` left it. */
  cli(args: readonly string[]): CliResult;
  /** Leaves about `bytes` free for the store (0: none at all). */
  fill(bytes: number): void;
  /** Frees the space again. */
  free(): void;
}

function tmpfsDisk(dir: string): Disk | undefined {
  if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir]).status !== 0) return undefined;
  mounts.push(dir);
  const filler = join(dir, 'filler');
  return {
    kind: 'tmpfs',
    dir,
    cli: (args) => runCliSync(args),
    fill(bytes) {
      rmSync(filler, { force: true });
      const fd = openSync(filler, 'w');
      const block = Buffer.alloc(64 * 1024);
      try {
        for (;;) writeSync(fd, block);
      } catch {
        // ENOSPC: the disk is full; give back what the store may use.
      } finally {
        closeSync(fd);
      }
      if (bytes > 0) execFileSync('truncate', ['-s', `-${bytes}`, filler]);
    },
    free: () => rmSync(filler, { force: true }),
  };
}

/** Without a mount: every file the CLI writes may grow to the store's size plus the free bytes asked. */
function ulimitDisk(dir: string): Disk {
  let limitBlocks: number | undefined;
  return {
    kind: 'ulimit -f',
    dir,
    cli: (args) => runCliSync(args, limitBlocks),
    fill(bytes) {
      limitBlocks = bytes === 0 ? 0 : Math.ceil((statSync(join(dir, 'store.duckdb')).size + bytes) / 512);
    },
    free() {
      limitBlocks = undefined;
    },
  };
}

function runCliSync(args: readonly string[], limitBlocks?: number): CliResult {
  const command = limitBlocks === undefined ? [process.execPath, CLI, ...args] : ['sh', '-c', `ulimit -f ${limitBlocks}; exec "$0" "$@"`, process.execPath, CLI, ...args];
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('a full disk', () => {
  it('stops ingest and run with a clear message and leaves the store as it was', { timeout: 600_000 }, async () => {
    const dir = tempDir();
    const diskDir = join(dir, 'disk');
    mkdirSync(diskDir);
    // SMBWATCH_TEST_DISK=ulimit tries the fallback where a mount would work.
    const disk = (process.env.SMBWATCH_TEST_DISK === 'ulimit' ? undefined : tmpfsDisk(diskDir)) ?? ulimitDisk(diskDir);
    console.info(`full disk simulated by ${disk.kind}`);
    const db = join(disk.dir, 'store.duckdb');
    writeFileSync(join(dir, 'small.log'), zeekConnTsv(50));
    writeFileSync(join(dir, 'other.log'), zeekConnTsv(5, 60000));
    writeFileSync(join(dir, 'rule.yaml'), RULE);
    await writeBigConnLog(join(dir, 'big.log'), 200_000);
    const ingest = (...paths: string[]) => disk.cli(['ingest', '--db', db, '--progress', 'none', ...paths.map((path) => join(dir, path))]);
    const count = () => disk.cli(['query', '--db', db, '--at', '2024-03-05T00:00:00Z', '--output', 'json', 'ASimNetworkSessionLogs | count']);

    expect(ingest('small.log').status).toBe(0);

    // Ingest with 1 MiB left: the big input fails part-way, the one after it is not tried.
    disk.fill(1024 * 1024);
    const full = ingest('big.log', 'other.log');
    expect(full.status).toBe(1);
    expect(full.stderr).toMatch(/big\.log: (the disk holding the store .*store\.duckdb is full \(No space left on device|the store .*store\.duckdb cannot grow past the file size limit \(File too large)/);
    expect(full.stderr).toMatch(/nothing of this input was stored; free space \(or move the store with --db\) and run again/);
    expect(full.stderr).toMatch(/other\.log: not read: the store's disk is full/);
    expect(full.stderr).not.toMatch(/TransactionContext|cannot rollback/);

    // A run with no space at all: a clear error, or (if its few bytes fit) a normal run — never the engine's words.
    disk.fill(0);
    const run = disk.cli(['run', '--db', db, '--rule', join(dir, 'rule.yaml'), '--at', '2024-03-05T00:00:00Z', '--output', 'json']);
    expect(run.stderr).not.toMatch(/TransactionContext|cannot rollback|Error:/);
    if (run.status !== 0) expect(run.stderr).toMatch(/(disk holding the store|the store .*cannot grow).*: (nothing this command had not finished was stored|it cannot be opened)/);
    const alertsStored = run.status === 0 ? 1 : 0;
    console.info(`run on the full disk: status ${run.status} ${run.stderr.trim()}`);

    // Space back: the store holds what it held, and the inputs that failed are read in full.
    disk.free();
    expect(JSON.parse(count().stdout)).toEqual([{ Count: 50 }]);
    const alerts = disk.cli(['alerts', '--db', db, '--output', 'json']);
    expect(alerts.status, alerts.stderr).toBe(0);
    expect(JSON.parse(alerts.stdout)).toHaveLength(alertsStored);
    const again = ingest('big.log', 'other.log');
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(count().stdout)).toEqual([{ Count: 200_055 }]);
  });
});
