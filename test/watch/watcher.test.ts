/**
 * The watch loop on a real DuckDB store, the real KQL compiler and real rules, driven by a hand-moved clock.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { listAlerts } from '../../src/alerts/store.js';
import { deliveries, outboxEntries } from '../../src/alerts/sinks/outbox.js';
import { JsonlSink } from '../../src/alerts/sinks/jsonl.js';
import { StdoutSink } from '../../src/alerts/sinks/stdout.js';
import type { AlertSink } from '../../src/alerts/sinks/types.js';
import { WebhookSink } from '../../src/alerts/sinks/webhook.js';
import type { QueryRunner } from '../../src/rules/evaluate.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import type { Store } from '../../src/store/engine.js';
import { storeQueryRunner } from '../../src/watch/kql-runner.js';
import { memoryLog } from '../../src/watch/log.js';
import { builtinSummaryRules } from '../../src/summaries/rule.js';
import { resolveRules } from '../../src/watch/rules.js';
import { lastRunTime, recordRun } from '../../src/watch/schedule.js';
import { Watcher, type ScheduledRule } from '../../src/watch/watcher.js';
import { useTempDir } from '../helpers/tmp.js';
import { zeekConnTsv } from '../helpers/zeek.js';
import { ManualClock, startScriptedServer, type ScriptedServer } from './helpers.js';

const tempDir = useTempDir();
const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const SMB_RULE = new URL('../fixtures/watch/rules/smb-sessions.yaml', import.meta.url).pathname;
const SEED_ID = '8717e498-7b5d-4e23-9e7c-fa4913dbfd79';
const HOUR = 3_600_000;

function seedRule(): ScheduledRule[] {
  return resolveRules({ file: 'test', rules: [{ kind: 'builtin', ref: 'default', params: {} }] }, new Date('2024-05-04T00:00:00Z'));
}

function smbRule(): ScheduledRule[] {
  return resolveRules({ file: 'test', rules: [{ kind: 'path', ref: SMB_RULE, params: {} }] }, new Date('2024-03-04T00:00:00Z'));
}

interface Setup {
  readonly db: string;
  readonly logs: string;
  readonly clock: ManualClock;
  readonly log: ReturnType<typeof memoryLog>;
  readonly ranAt: string[];
  readonly watcher: Watcher;
}

function setup(options: { rules: ScheduledRule[]; clock: string; sinks?: AlertSink[]; onRun?: () => void }): Setup {
  const dir = tempDir();
  const db = join(dir, 'watch.duckdb');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const clock = new ManualClock(options.clock);
  const log = memoryLog();
  const ranAt: string[] = [];
  // The real compiler over the tick's store; the wrapper only notes when each run happened.
  const runner = (store: Store): QueryRunner => {
    const real = storeQueryRunner(store);
    return {
      run: async (text, at, lookback) => {
        ranAt.push(at.toISOString());
        const result = await real.run(text, at, lookback);
        options.onRun?.();
        return result;
      },
    };
  };
  const watcher = new Watcher({
    inputs: [logs],
    pollIntervalMs: 60_000,
    schedule: { anchor: new Date(0), delayMs: 0 },
    rules: options.rules,
    sinks: options.sinks ?? [],
    clock,
    openStore: () => openDuckDbStore(db),
    log,
    runner,
    random: () => 1,
  });
  return { db, logs, clock, log, ranAt, watcher };
}

async function withStore<T>(path: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openDuckDbStore(path);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function sessionCount(db: string): Promise<number> {
  return withStore(db, async (store) => Number((await store.query('SELECT count(*) FROM ASimNetworkSessionLogs')).rows[0]![0]));
}

describe('watch: scheduled runs', () => {
  it('catches up after downtime: last run 3 days ago → the three missed daily runs, in order, at 00:00 UTC', async () => {
    const w = setup({ rules: seedRule(), clock: '2024-05-04T10:00:00Z' });
    await withStore(w.db, (store) => recordRun(store, SEED_ID, SEED_ID, new Date('2024-05-01T00:00:00Z'), new Date('2024-05-01T00:00:05Z')));

    const report = await w.watcher.tick();
    const expected = ['2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z', '2024-05-04T00:00:00.000Z'];
    expect(w.ranAt).toEqual(expected);
    expect(report.runs.map((run) => run.at.toISOString())).toEqual(expected);
    expect(report.nextRunAt?.toISOString()).toBe('2024-05-05T00:00:00.000Z');
    expect(await withStore(w.db, (store) => lastRunTime(store, SEED_ID))).toEqual(new Date('2024-05-04T00:00:00Z'));

    // Nothing more is due the same day; the next day's run happens once its time has come.
    w.clock.set('2024-05-04T23:59:00Z');
    expect((await w.watcher.tick()).runs).toEqual([]);
    w.clock.set('2024-05-05T00:00:30Z');
    expect((await w.watcher.tick()).runs.map((run) => run.at.toISOString())).toEqual(['2024-05-05T00:00:00.000Z']);
    expect(w.ranAt).toHaveLength(4);
  });

  it('survives a restart: state is in the store, so a new watcher resumes where the old one stopped', async () => {
    const first = setup({ rules: seedRule(), clock: '2024-05-02T08:00:00Z' });
    await first.watcher.tick();
    expect(first.ranAt).toEqual(['2024-05-02T00:00:00.000Z']);
    const second = new Watcher({
      inputs: [first.logs],
      pollIntervalMs: 60_000,
      schedule: { anchor: new Date(0), delayMs: 0 },
      rules: seedRule(),
      sinks: [],
      clock: new ManualClock('2024-05-04T08:00:00Z'),
      openStore: () => openDuckDbStore(first.db),
      log: memoryLog(),
    });
    const report = await second.tick();
    expect(report.runs.map((run) => run.at.toISOString())).toEqual(['2024-05-03T00:00:00.000Z', '2024-05-04T00:00:00.000Z']);
  });

  it('stops between runs when asked: the run in hand completes and is recorded, the rest wait for the next tick', async () => {
    const controller = new AbortController();
    const w = setup({ rules: seedRule(), clock: '2024-05-04T10:00:00Z', onRun: () => controller.abort() });
    await withStore(w.db, (store) => recordRun(store, SEED_ID, SEED_ID, new Date('2024-05-01T00:00:00Z'), new Date('2024-05-01T00:00:05Z')));
    const report = await w.watcher.tick(controller.signal);
    expect(report.runs.map((run) => run.at.toISOString())).toEqual(['2024-05-02T00:00:00.000Z']);
    expect(await withStore(w.db, (store) => lastRunTime(store, SEED_ID))).toEqual(new Date('2024-05-02T00:00:00Z'));
    const next = await w.watcher.tick();
    expect(next.runs.map((run) => run.at.toISOString())).toEqual(['2024-05-03T00:00:00.000Z', '2024-05-04T00:00:00.000Z']);
  });

  it('loops until stopped, sleeping the poll interval or less when a run comes sooner', async () => {
    const w = setup({ rules: seedRule(), clock: '2024-05-04T23:58:30Z' });
    const controller = new AbortController();
    const sleep = w.clock.sleep.bind(w.clock);
    w.clock.sleep = async (ms: number) => {
      await sleep(ms);
      if (w.clock.sleeps.length === 3) controller.abort();
    };
    await w.watcher.run(controller.signal);
    // 23:58:30 → poll (60 s) → 23:59:30 → 30 s to the 00:00 run → 00:00:00 → poll.
    expect(w.clock.sleeps).toEqual([60_000, 30_000, 60_000]);
    expect(w.ranAt).toEqual(['2024-05-04T00:00:00.000Z', '2024-05-05T00:00:00.000Z']);
  });
});

describe('watch: inputs', () => {
  it('ingests files that appear in a watched directory on the next tick, and only what is new', async () => {
    const w = setup({ rules: [], clock: '2024-03-04T10:30:00Z' });
    expect((await w.watcher.tick()).ingestedRecords).toBe(0);

    writeFileSync(join(w.logs, 'conn.log'), zeekConnTsv(5));
    writeFileSync(join(w.logs, 'dns.log'), '#separator \\x09\n#path\tdns\n#fields\tts\tquery\n1709542801.0\texample.com\n');
    const second = await w.watcher.tick();
    expect(second.ingestedRecords).toBe(5);
    expect(await sessionCount(w.db)).toBe(5);

    // A rotated, gzipped file appears in a subdirectory; the unchanged conn.log is not read again.
    mkdirSync(join(w.logs, '2024-03-04'));
    writeFileSync(join(w.logs, '2024-03-04', 'conn.09:00:00-10:00:00.log.gz'), gzipSync(zeekConnTsv(3, 60000)));
    const third = await w.watcher.tick();
    expect(third.ingestedRecords).toBe(3);
    expect(await sessionCount(w.db)).toBe(8);

    expect((await w.watcher.tick()).ingestedRecords).toBe(0);
    // dns.log is not a network-session log: skipped quietly, never reported as a failure.
    expect(w.log.lines.filter((line) => line.startsWith('warn') || line.startsWith('error'))).toEqual([]);
  });

  it('picks up lines appended to a live log, and leaves a half-written last line for a later tick', async () => {
    const w = setup({ rules: [], clock: '2024-03-04T10:30:00Z' });
    const path = join(w.logs, 'conn.log');
    const text = zeekConnTsv(4).replace(/#close.*\n$/, '');
    const lines = text.split('\n');
    writeFileSync(path, `${lines.slice(0, -2).join('\n')}\n`); // header and 3 records
    expect((await w.watcher.tick()).ingestedRecords).toBe(3);

    const fourth = lines.at(-2)!;
    appendFileSync(path, fourth.slice(0, 20)); // the writer is in the middle of a line
    expect((await w.watcher.tick()).ingestedRecords).toBe(0);
    appendFileSync(path, `${fourth.slice(20)}\n`);
    const done = await w.watcher.tick();
    expect(done.ingestedRecords).toBe(1);
    expect(w.log.lines.some((line) => line.includes('resumed after line'))).toBe(true);
    expect(await sessionCount(w.db)).toBe(4);
    const rejects = await withStore(w.db, async (store) => Number((await store.query('SELECT count(*) FROM smbwatch_rejects')).rows[0]![0]));
    expect(rejects).toBe(0);
  });
});

describe('watch: alerts to sinks', () => {
  it('delivers each new alert to every sink once; a webhook failing with 500 twice gets it on a later tick', async () => {
    const receiver = await startScriptedServer([{ status: 500 }, { status: 500 }, { status: 202 }]);
    servers.push(receiver);
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const jsonlPath = join(tempDir(), 'alerts.jsonl');
    const webhook = new WebhookSink({ name: 'soc', url: receiver.url, headers: {}, timeoutMs: 5000, retries: 0, backoff: { baseMs: 1000, maxMs: 60_000 } });
    const sinks = [new StdoutSink('stdout', stdout), new JsonlSink('file', jsonlPath), webhook];
    const w = setup({ rules: smbRule(), clock: '2024-03-04T10:30:00Z', sinks });
    writeFileSync(join(w.logs, 'conn.log'), zeekConnTsv(5));

    // 10:30: the 10:00 run sees the five sessions of 09:00:01 → one alert for 10.0.5.21.
    const first = await w.watcher.tick();
    expect(first.runs).toEqual([expect.objectContaining({ at: new Date('2024-03-04T10:00:00Z'), resultRows: 1, alerts: 1, newAlerts: 1 })]);
    expect(first.deliveries.map((d) => [d.entry.sink, d.kind])).toEqual([
      ['stdout', 'delivered'],
      ['file', 'delivered'],
      ['soc', 'retry'],
    ]);
    const [alert] = await withStore(w.db, (store) => listAlerts(store));
    expect(alert).toMatchObject({ ruleId: '5b0e5a5e-0000-4000-8000-00000000a1e7', entities: [{ type: 'ip', address: '10.0.5.21' }], rows: [{ SrcIpAddr: '10.0.5.21', Sessions: 5 }] });
    expect(JSON.parse(printed)).toEqual(alert);
    expect(JSON.parse(readFileSync(jsonlPath, 'utf8'))).toEqual(alert);

    // Later ticks: the webhook is retried when its backoff has passed, and recovers on the third attempt.
    w.clock.advance(1000);
    expect((await w.watcher.tick()).deliveries.map((d) => d.kind)).toEqual(['retry']);
    w.clock.advance(2000);
    expect((await w.watcher.tick()).deliveries.map((d) => d.kind)).toEqual(['delivered']);
    w.clock.advance(HOUR - 3000);
    const after = await w.watcher.tick();
    // 11:00 run: the sessions are older than the one-hour look-back → no alert, nothing to deliver.
    expect(after.runs.map((run) => [run.at.toISOString(), run.alerts])).toEqual([['2024-03-04T11:00:00.000Z', 0]]);
    expect(after.deliveries).toEqual([]);

    expect(receiver.requests).toHaveLength(3);
    expect(JSON.parse(receiver.requests[2]!.body)).toEqual(alert);
    expect(readFileSync(jsonlPath, 'utf8').trimEnd().split('\n')).toHaveLength(1);
    expect(printed.trimEnd().split('\n')).toHaveLength(1);
    const record = await withStore(w.db, async (store) => ({ queued: await outboxEntries(store), delivered: await deliveries(store) }));
    expect(record.queued).toEqual([]);
    // Ordered by delivery time, then sink name.
    expect(record.delivered.map((d) => [d.sink, d.attempts])).toEqual([
      ['file', 1],
      ['stdout', 1],
      ['soc', 3],
    ]);
    await Promise.all(sinks.map((sink) => sink.close()));
  });
});

describe('watch: summary rules', () => {
  it('summarizes each 20-minute bin once, from the schedule start to its end, into NetworkSummary_Protocol_CL', async () => {
    const dir = tempDir();
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    // 12 SMB sessions at 2024-03-04T09:00:01Z, all in the bin [09:00, 09:20).
    writeFileSync(join(logs, 'conn.log'), zeekConnTsv(12));
    const db = join(dir, 'watch.duckdb');
    const clock = new ManualClock('2024-03-10T00:00:00Z');
    const watcher = new Watcher({
      inputs: [logs],
      pollIntervalMs: 60_000,
      schedule: { anchor: new Date(0), start: new Date('2024-03-04T09:00:00Z'), end: new Date('2024-03-04T10:00:00Z'), delayMs: 0 },
      rules: [],
      summaryRules: builtinSummaryRules(),
      sinks: [],
      clock,
      openStore: () => openDuckDbStore(db),
      log: memoryLog(),
      random: () => 1,
    });
    const report = await watcher.tick();
    // The bin before the start (a rule run at the start reads it), then each bin up to the end — none after it,
    // although the clock is six days later.
    const bins = (report.summaries ?? []).map((run) => [new Date(run.binStart / 1000).toISOString(), run.rows]);
    expect(bins).toEqual([
      ['2024-03-04T08:40:00.000Z', 0],
      ['2024-03-04T09:00:00.000Z', 1],
      ['2024-03-04T09:20:00.000Z', 0],
      ['2024-03-04T09:40:00.000Z', 0],
    ]);
    const rows = await withStore(db, async (store) =>
      (await store.query('SELECT NetworkProtocol, DstPortNumber, NetworkDirection, count_, EventTime FROM NetworkSummary_Protocol_CL')).rows,
    );
    expect(rows.map((r) => r.map(String))).toEqual([['TCP', '445', 'Local', '12', String(Date.UTC(2024, 2, 4, 9) * 1000)]]);
    // Each bin once: a later tick writes nothing.
    clock.set('2024-03-11T00:00:00Z');
    expect((await watcher.tick()).summaries ?? []).toEqual([]);
  });
});
