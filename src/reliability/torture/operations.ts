/**
 * The operations `npm run torture` kills, each with its data, its clean reference and its check.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeZeekConnLog } from '../../bench/zeek-generator.js';
import { openDuckDbStore } from '../../store/duckdb.js';
import { zipArchive } from '../zip-writer.js';

const BIN = fileURLToPath(new URL('../../../bin/smbwatch.js', import.meta.url));

export interface TrialOutcome {
  /** The process was killed before it finished (otherwise it finished first: a trial of the rerun alone). */
  readonly killed: boolean;
  /** The store opened after the kill (true when the process died before creating it). */
  readonly storeOpened: boolean;
  /** What differs from the clean run; empty when the trial is clean. */
  readonly problems: string[];
}

export interface Prepared {
  readonly cleanSeconds: number;
  /** One trial: kill at `fraction` of the clean run's duration (a little beyond it, so some runs finish). */
  trial(index: number, fraction: number): Promise<TrialOutcome>;
  close(): Promise<void>;
}

export interface Operation {
  readonly name: string;
  readonly checks: string;
  /** `scale` shrinks the data (the suite's slice uses a fifth). */
  prepare(dir: string, scale?: number): Promise<Prepared>;
}

interface Exit {
  readonly killed: boolean;
  readonly code: number | null;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs smbwatch; with `killAfterMs`, SIGKILLs it then (if it is still running). */
function smbwatch(args: readonly string[], killAfterMs?: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code, stderr, ms: performance.now() - started });
    });
  });
}

async function runToEnd(args: readonly string[]): Promise<Exit> {
  const exit = await smbwatch(args);
  if (exit.code !== 0) throw new Error(`smbwatch ${args[0]} exited ${exit.code}: ${exit.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return exit;
}

function removeStore(db: string): void {
  for (const path of [db, `${db}.wal`]) rmSync(path, { force: true });
}

/** Whether the store opens and answers; true when there is no store file yet. */
async function storeOpens(db: string): Promise<boolean> {
  if (!existsSync(db)) return true;
  try {
    const store = await openDuckDbStore(db);
    try {
      await store.query('SELECT count(*) FROM smbwatch_sessions');
      return true;
    } finally {
      await store.close();
    }
  } catch {
    return false;
  }
}

async function query(db: string, sql: string): Promise<ReadonlyArray<readonly unknown[]>> {
  const store = await openDuckDbStore(db);
  try {
    return (await store.query(sql)).rows;
  } finally {
    await store.close();
  }
}

/** Records as a multiset (count and sum of row hashes over every column), rejects and ledger: equal iff nothing lost or doubled. */
async function storeFingerprint(db: string): Promise<string> {
  const rows = await query(
    db,
    `SELECT (SELECT count(*) FROM ASimNetworkSessionLogs),
            (SELECT coalesce(sum(hash(s)::HUGEINT), 0)::VARCHAR FROM ASimNetworkSessionLogs s),
            (SELECT count(*) FROM smbwatch_rejects),
            (SELECT count(*) FROM smbwatch_inputs),
            (SELECT coalesce(sum(records), 0) FROM smbwatch_inputs)`,
  );
  const [records, hash, rejects, ledger, ledgerRecords] = rows[0]!;
  return `records ${records} (hash ${hash}), rejects ${rejects}, ledger rows ${ledger} counting ${ledgerRecords} records`;
}

/** An ingest operation: the paths it reads, extra flags. */
function ingestOperation(name: string, checks: string, build: (dir: string, scale: number) => Promise<{ paths: string[]; flags?: string[] }>): Operation {
  return {
    name,
    checks,
    async prepare(dir, scale = 1) {
      mkdirSync(dir, { recursive: true });
      const { paths, flags = [] } = await build(dir, scale);
      const db = join(dir, 'store.duckdb');
      const args = (): string[] => ['ingest', '--db', db, '--progress', 'none', ...flags, ...paths];
      removeStore(db);
      const clean = await runToEnd(args());
      const expected = await storeFingerprint(db);
      return {
        cleanSeconds: clean.ms / 1000,
        async trial(_index, fraction) {
          removeStore(db);
          const exit = await smbwatch(args(), fraction * clean.ms * 1.1);
          const opened = await storeOpens(db);
          const problems: string[] = [];
          if (!opened) problems.push('the store did not open after the kill');
          else {
            await runToEnd(args());
            const actual = await storeFingerprint(db);
            if (actual !== expected) problems.push(`after the rerun: ${actual}; a clean ingest: ${expected}`);
          }
          return { killed: exit.killed, storeOpened: opened, problems };
        },
        async close() {
          removeStore(db);
        },
      };
    },
  };
}

const DAY = 86_400;

const ingestBulk = ingestOperation('ingest-bulk', 'records, rejects and ledger equal a clean ingest', async (dir, scale) => {
  const path = join(dir, 'conn.log');
  await writeZeekConnLog(path, Math.round(100_000 * scale));
  return { paths: [path] };
});

const ingestLines = ingestOperation('ingest-lines', 'records, rejects and ledger equal a clean ingest', async (dir, scale) => {
  const path = join(dir, 'conn.log');
  await writeZeekConnLog(path, Math.round(40_000 * scale));
  return { paths: [path], flags: ['--no-bulk'] };
});

const ingestArchive = ingestOperation('ingest-archive', 'records, rejects and ledger equal a clean ingest', async (dir, scale) => {
  const plain = join(dir, 'member.log');
  await writeZeekConnLog(plain, Math.round(12_000 * scale));
  const content = readFileSync(plain);
  rmSync(plain);
  const archive = join(dir, 'logs.zip');
  writeFileSync(archive, zipArchive([{ name: 'a/conn.log', content }, { name: 'b/conn.log.gz', content: gzipSync(content.toString('utf8').replace(/\tC/g, '\tD')) }, { name: 'c/conn.log', content: content.toString('utf8').replace(/\tC/g, '\tE') }]));
  const gz = join(dir, 'conn.log.gz');
  writeFileSync(gz, gzipSync(content.toString('utf8').replace(/\tC/g, '\tF')));
  return { paths: [archive, gz] };
});

const ingestManyFiles = ingestOperation('ingest-many-files', 'records, rejects and ledger equal a clean ingest', async (dir, scale) => {
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  for (let file = 0; file < Math.max(10, Math.round(100 * scale)); file++) await writeZeekConnLog(join(logs, `conn-${String(file).padStart(3, '0')}.log`), 100, 1_709_251_200 + file * DAY);
  return { paths: [logs] };
});

/** A rule with one alert per source of SMB sessions in its period (many alerts per run). */
function ruleYaml(frequency: string): string {
  return `id: 5b0e5a5e-0000-4000-8000-0000000070e7
name: SMB sessions per source
description: One alert per source address that opened SMB sessions in the period.
severity: Low
status: Available
kind: Scheduled
version: 1.0.0
queryFrequency: ${frequency}
queryPeriod: ${frequency}
triggerOperator: gt
triggerThreshold: 0
tactics: [LateralMovement]
relevantTechniques: [T1021.002]
query: |
  ASimNetworkSessionLogs
  | where DstPortNumber == 445
  | summarize Sessions = count() by SrcIpAddr
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: SrcIpAddr
eventGroupingSettings:
  aggregationKind: AlertPerResult
`;
}

async function alertIds(db: string): Promise<string[]> {
  if (!existsSync(db)) return [];
  const rows = await query(db, "SELECT alert_id FROM smbwatch_alerts ORDER BY alert_id").catch(() => []);
  return rows.map((row) => String(row[0]));
}

function compareIds(what: string, actual: readonly string[], expected: readonly string[], exactlyOnce: boolean): string[] {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const id of actual) counts.set(id, (counts.get(id) ?? 0) + 1);
  const missing = expected.filter((id) => !counts.has(id));
  const doubled = [...counts].filter(([, count]) => count > 1);
  const unexpected = [...counts.keys()].filter((id) => !expected.includes(id));
  if (missing.length > 0) problems.push(`${what}: ${missing.length} of ${expected.length} alerts missing`);
  if (exactlyOnce && doubled.length > 0) problems.push(`${what}: ${doubled.length} alerts more than once`);
  if (unexpected.length > 0) problems.push(`${what}: ${unexpected.length} alerts not in the clean run`);
  return problems;
}

const runOperation: Operation = {
  name: 'run',
  checks: 'every alert of a clean run stored exactly once',
  async prepare(dir, scale = 1) {
    mkdirSync(dir, { recursive: true });
    const log = join(dir, 'conn.log');
    await writeZeekConnLog(log, Math.round(100_000 * Math.max(scale, 0.5)));
    const base = join(dir, 'base.duckdb');
    removeStore(base);
    await runToEnd(['ingest', '--db', base, '--progress', 'none', log]);
    const rule = join(dir, 'rule.yaml');
    writeFileSync(rule, ruleYaml('1d'));
    const db = join(dir, 'store.duckdb');
    const args = ['run', '--db', db, '--rule', rule, '--at', '2024-03-10T00:00:00Z', '--output', 'jsonl'];
    removeStore(db);
    copyFileSync(base, db);
    const clean = await runToEnd(args);
    const expected = await alertIds(db);
    if (expected.length < 100) throw new Error(`torture run: the clean run gave only ${expected.length} alerts`);
    return {
      cleanSeconds: clean.ms / 1000,
      async trial(_index, fraction) {
        removeStore(db);
        copyFileSync(base, db);
        const exit = await smbwatch(args, fraction * clean.ms * 1.1);
        const opened = await storeOpens(db);
        if (!opened) return { killed: exit.killed, storeOpened: false, problems: ['the store did not open after the kill'] };
        await runToEnd(args);
        return { killed: exit.killed, storeOpened: true, problems: compareIds('store', await alertIds(db), expected, true) };
      },
      async close() {
        removeStore(db);
        removeStore(base);
      },
    };
  },
};

/** A loopback webhook receiver that records the Idempotency-Key and body alertId of every request. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Array<{ key: string; alertId: string }> }> {
  const received: Array<{ key: string; alertId: string }> = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const alertId = (JSON.parse(body) as { alertId?: string }).alertId ?? '';
      received.push({ key: String(request.headers['idempotency-key'] ?? ''), alertId });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/alerts`, received };
}

function jsonlIds(path: string): { ids: string[]; torn: number } {
  if (!existsSync(path)) return { ids: [], torn: 0 };
  const ids: string[] = [];
  let torn = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    try {
      ids.push((JSON.parse(line) as { alertId: string }).alertId);
    } catch {
      torn++;
    }
  }
  return { ids, torn };
}

const watchOperation: Operation = {
  name: 'watch',
  checks: 'alerts stored once; JSON-lines sink holds each once; webhook got each at least once under its id; outbox empty',
  async prepare(dir, scale = 1) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const now = Math.floor(Date.now() / 1000);
    // 14 days of data ending a day ago; hourly runs over the last 48 hours: about 24 runs with alerts.
    await writeZeekConnLog(join(dir, 'logs', 'conn.log'), Math.round(15_000 * Math.max(scale, 0.5)), now - 15 * DAY);
    writeFileSync(join(dir, 'rule.yaml'), ruleYaml('1h'));
    const receiver = await startReceiver();
    const start = new Date((Math.floor(now / 3600) - 48) * 3600 * 1000).toISOString();
    const config = join(dir, 'smbwatch.yaml');
    writeFileSync(
      config,
      `db: ./store.duckdb
inputs: [./logs]
schedule:
  start: ${start}
rules:
  - path: ./rule.yaml
sinks:
  - type: jsonl
    path: ./alerts.jsonl
  - type: webhook
    name: receiver
    url: ${receiver.url}
    retries: 0
    timeout: 5s
`,
    );
    const db = join(dir, 'store.duckdb');
    const jsonl = join(dir, 'alerts.jsonl');
    const args = ['watch', '--config', config, '--once'];
    const reset = (): void => {
      removeStore(db);
      rmSync(jsonl, { force: true });
      receiver.received.length = 0;
    };
    reset();
    const clean = await runToEnd(args);
    const expected = await alertIds(db);
    if (expected.length < 20) throw new Error(`torture watch: the clean run gave only ${expected.length} alerts`);
    return {
      cleanSeconds: clean.ms / 1000,
      async trial(_index, fraction) {
        reset();
        const exit = await smbwatch(args, fraction * clean.ms * 1.1);
        const opened = await storeOpens(db);
        if (!opened) return { killed: exit.killed, storeOpened: false, problems: ['the store did not open after the kill'] };
        await runToEnd(args);
        const problems = compareIds('store', await alertIds(db), expected, true);
        const lines = jsonlIds(jsonl);
        if (lines.torn > 0) problems.push(`jsonl: ${lines.torn} torn lines`);
        problems.push(...compareIds('jsonl', lines.ids, expected, true));
        problems.push(...compareIds('webhook', receiver.received.map((entry) => entry.alertId), expected, false));
        const unstable = receiver.received.filter((entry) => entry.key !== entry.alertId).length;
        if (unstable > 0) problems.push(`webhook: ${unstable} requests whose Idempotency-Key is not the alert id`);
        const outbox = Number((await query(db, 'SELECT count(*) FROM smbwatch_outbox'))[0]![0]);
        if (outbox > 0) problems.push(`outbox: ${outbox} entries left`);
        return { killed: exit.killed, storeOpened: true, problems };
      },
      async close() {
        await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
        reset();
      },
    };
  },
};

export const OPERATIONS: readonly Operation[] = [ingestBulk, ingestLines, ingestArchive, ingestManyFiles, runOperation, watchOperation];
