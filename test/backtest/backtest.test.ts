/**
 * `smbwatch backtest`: steps on the scheduler's grid, per-step results worked out by hand, equality with
 * individual `smbwatch run`s, and the shared input table giving the same results as reading the store each step.
 *
 * The fixture (test/run/stores.ts backtestFixtureRecords), daily steps at 00:00Z from 2024-03-11 to 2024-03-15.
 * A step at T sees baseline [T−14d, T−1d] and recent [T−1d, T], both inclusive; Deviation = |recent − baseline| /
 * baseline (the baseline's avg over one group is its count).
 *   A 10.0.0.1:445, one a day at 12:00: baseline 13, recent 1 at every step → 12/13 = 0.923 (> 0.5, not > 50).
 *   B 10.0.0.2:139, 1 on 03-05, 60 on 03-13T06:00: T=03-14 → |60−1|/1 = 59. T=03-15: recent 0 → no row
 *     (the burst is then in the baseline). Earlier steps: recent 0.
 *   C 10.0.0.3:445, 2 on 03-02T00:00, 4 at exactly 03-14T00:00: T=03-14 → recent 4 (at T, inclusive), baseline 2
 *     → 1.0 (> 0.5). T=03-15 → the 4 lie at T−1d, in both windows: baseline 6, recent 4 → 0.333. Earlier: recent 0.
 *   D 10.0.0.4:445, 1 at exactly 02-26T00:00 (= 03-11 − 14d), 55 on 03-10T12:00: T=03-11 → baseline 1 (start
 *     bound inclusive), recent 55 → 54. T=03-12 → baseline 55, recent 0 → no row.
 *   E 8.8.8.8:445, public: never.
 * Threshold 50: 03-11 D; 03-14 B → 2 rows, 2 alerts.
 * Threshold 0.5: 03-11 A D; 03-12 A; 03-13 A; 03-14 A B C; 03-15 A → 8 rows, 8 alerts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/types.js';
import { duckdb } from '../../src/kql/sql/duckdb.js';
import { planSharedInput } from '../../src/rules/backtest-input.js';
import { buildTemplate } from '../../src/rules/cache/template.js';
import { backtest, backtestTimes } from '../../src/rules/backtest.js';
import { evaluateRule } from '../../src/rules/evaluate.js';
import { kqlQueryRunner } from '../../src/rules/kql-runner.js';
import { builtinRules, parseRule } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/rule.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { dueTimes } from '../../src/watch/schedule.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { backtestFixtureRecords, seedFixtureRecords, writeStore } from '../run/stores.js';

const tempDir = useTempDir();
const STEPS = ['2024-03-11', '2024-03-12', '2024-03-13', '2024-03-14', '2024-03-15'].map((d) => `${d}T00:00:00.000Z`);

interface BacktestJson {
  rule: string;
  runs: Array<{ at: string; queryStartTime: string; suppressed: boolean; resultRows: number; alerts: number; entities: string[]; alertIds: string[] }>;
  totals: { runs: number; suppressedRuns: number; triggeredRuns: number; resultRows: number; alerts: number; storedAlerts?: number };
}

function backtestJson(db: string, ...args: string[]): BacktestJson {
  const result = runCli(['backtest', '--db', db, '--from', '2024-03-10T13:00:00Z', '--to', '2024-03-15T00:00:00Z', '--output', 'json', ...args]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as BacktestJson;
}

const perStep = (json: BacktestJson) => json.runs.map((run) => [run.at.slice(0, 10), run.resultRows, run.alerts, [...run.entities].sort()]);

describe('smbwatch backtest over the hand-computed fixture', () => {
  // One store for the whole group (useTempDir's directories go after each test).
  let dir: string;
  let db: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smbwatch-backtest-'));
    db = join(dir, 'backtest.duckdb');
    await writeStore(db, backtestFixtureRecords());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('threshold 50: D on 03-11, B on 03-14; totals 2 rows, 2 alerts; nothing stored', async () => {
    const json = backtestJson(db);
    expect(json.runs.map((run) => run.at)).toEqual(STEPS); // --from 03-10T13:00 → the first grid time is 03-11T00:00
    expect(json.runs[0]!.queryStartTime).toBe('2024-02-26T00:00:00.000Z');
    expect(perStep(json)).toEqual([
      ['2024-03-11', 1, 1, ['ip:10.0.0.4']],
      ['2024-03-12', 0, 0, []],
      ['2024-03-13', 0, 0, []],
      ['2024-03-14', 1, 1, ['ip:10.0.0.2']],
      ['2024-03-15', 0, 0, []],
    ]);
    expect(json.totals).toEqual({ runs: 5, suppressedRuns: 0, triggeredRuns: 2, resultRows: 2, alerts: 2 });
    const store = await openDuckDbStore(db);
    try {
      expect(Number((await store.query('SELECT count(*) FROM smbwatch_alerts')).rows[0]![0])).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('threshold 0.5: A every day, D, B and C on their days; totals 8 and 8; the table view', () => {
    const json = backtestJson(db, '--param', 'threshold=0.5');
    expect(perStep(json)).toEqual([
      ['2024-03-11', 2, 2, ['ip:10.0.0.1', 'ip:10.0.0.4']],
      ['2024-03-12', 1, 1, ['ip:10.0.0.1']],
      ['2024-03-13', 1, 1, ['ip:10.0.0.1']],
      ['2024-03-14', 3, 3, ['ip:10.0.0.1', 'ip:10.0.0.2', 'ip:10.0.0.3']],
      ['2024-03-15', 1, 1, ['ip:10.0.0.1']],
    ]);
    expect(json.totals).toMatchObject({ runs: 5, triggeredRuns: 5, resultRows: 8, alerts: 8 });

    const table = runCli(['backtest', '--db', db, '--from', '2024-03-11T00:00:00Z', '--to', '2024-03-15T23:59:59Z', '--param', 'threshold=0.5']);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Anomaly in SMB Traffic(ASIM Network Session schema) v1.0.0 (threshold=0.5), every 1d, look back 14d');
    expect(lines[1]).toMatch(/^run time\s+rows\s+alerts\s+entities$/);
    expect(lines[3]).toMatch(/^2024-03-11T00:00:00Z\s+2\s+2\s+ip:10\.0\.0\.\d ip:10\.0\.0\.\d$/);
    expect(lines[8]).toMatch(/^total\s+8\s+8\s+5 of 5 runs fired$/);
    expect(lines[9]).toMatch(/^5 runs from 2024-03-11T00:00:00Z to 2024-03-15T00:00:00Z: 8 result rows, 8 alerts; nothing stored \(--store to keep the alerts\); \d+\.\d\d s$/);
  });

  it('each step equals `smbwatch run --at` that time (rows and alert ids); --store then adds nothing new', () => {
    const json = backtestJson(db, '--param', 'threshold=0.5');
    for (const step of json.runs) {
      const run = runCli(['run', '--db', db, '--at', step.at, '--param', 'threshold=0.5', '--output', 'json']);
      expect(run.status).toBe(0);
      const single = JSON.parse(run.stdout) as { resultRows: number; alerts: Alert[] };
      expect([step.at, single.resultRows, single.alerts.map((a) => a.alertId).sort()]).toEqual([step.at, step.resultRows, [...step.alertIds].sort()]);
    }
    // The runs stored the 8 alerts; a backtest with --store finds them all stored already.
    expect(backtestJson(db, '--param', 'threshold=0.5', '--store').totals.storedAlerts).toBe(0);
  });

  it('--store keeps the alerts, once', async () => {
    const fresh = join(tempDir(), 'store.duckdb');
    await writeStore(fresh, backtestFixtureRecords());
    expect(backtestJson(fresh, '--store').totals.storedAlerts).toBe(2);
    expect(backtestJson(fresh, '--store').totals.storedAlerts).toBe(0);
    const alerts = JSON.parse(runCli(['alerts', '--db', fresh, '--output', 'json']).stdout) as Alert[];
    expect(alerts.map((a) => [a.queryEndTime, a.entities[0]!.address])).toEqual([
      ['2024-03-11T00:00:00.000Z', '10.0.0.4'],
      ['2024-03-14T00:00:00.000Z', '10.0.0.2'],
    ]);
  });

  it('errors: --to before --from, a missing store, an unknown parameter', () => {
    const reversed = runCli(['backtest', '--db', db, '--from', '2024-03-15T00:00:00Z', '--to', '2024-03-11T00:00:00Z']);
    expect([reversed.status, reversed.stderr]).toEqual([2, 'smbwatch backtest: --to (2024-03-11T00:00:00.000Z) is before --from (2024-03-15T00:00:00.000Z)\n']);
    const missing = runCli(['backtest', '--db', join(tempDir(), 'none.duckdb'), '--from', '2024-03-11T00:00:00Z', '--to', '2024-03-12T00:00:00Z']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no store at');
    const param = runCli(['backtest', '--db', db, '--from', '2024-03-11T00:00:00Z', '--to', '2024-03-12T00:00:00Z', '--param', 'x=1']);
    expect(param.status).toBe(2);
    expect(param.stderr).toContain('unknown parameter "x"');
  });
});

describe('backtest steps', () => {
  const hourly = { queryFrequency: '5h', queryFrequencyMs: 5 * 3_600_000 };
  it('lie on the watch scheduler grid (epoch + k·queryFrequency), both ends included', () => {
    const from = new Date('2024-03-10T13:00:00Z');
    const to = new Date('2024-03-11T12:00:00Z');
    const times = backtestTimes(hourly, from, to);
    // 2024-03-10T00:00Z is a multiple of 5h from the epoch? 19792 days × 24 h = 475008 h, not a multiple of 5: 475010 h is 02:00.
    expect(times.map((t) => t.toISOString())).toEqual(['2024-03-10T17:00:00.000Z', '2024-03-10T22:00:00.000Z', '2024-03-11T03:00:00.000Z', '2024-03-11T08:00:00.000Z']);
    // What the watcher would run catching up over the same span.
    const grid = { anchor: new Date(0), frequencyMs: hourly.queryFrequencyMs, delayMs: 0, start: from };
    expect(dueTimes(grid, undefined, to)).toEqual(times);
    expect(backtestTimes(hourly, new Date('2024-03-10T17:00:00Z'), new Date('2024-03-10T17:00:00Z')).map((t) => t.toISOString())).toEqual(['2024-03-10T17:00:00.000Z']);
    expect(backtestTimes(hourly, new Date('2024-03-10T17:00:01Z'), new Date('2024-03-10T21:59:59Z'))).toEqual([]);
    expect(() => backtestTimes({ queryFrequency: '5m', queryFrequencyMs: 300_000 }, new Date(0), new Date('2024-01-01T00:00:00Z'))).toThrow(/at most 10000/);
  });
});

/**
 * The shared input table is an optimisation only: over the seed rule's edge-case fixture, with rules that read
 * whole rows, join, and filter on several conditions, every step must equal a fresh compile run against the store.
 */
describe('the shared input gives the results of reading the store', () => {
  const seed = builtinRules()[0]!;
  const variant = (id: number, name: string, query: string): Rule =>
    parseRule(
      `id: 3f1c2a4b-0000-4000-8000-00000000000${id}\nname: ${name}\ndescription: test\nseverity: Low\nkind: Scheduled\n` +
        `queryFrequency: 6h\nqueryPeriod: 2d\ntriggerOperator: gt\ntriggerThreshold: 0\n` +
        `entityMappings:\n  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: SrcIpAddr\n` +
        `eventGroupingSettings:\n  aggregationKind: AlertPerResult\nquery: |\n${query.split('\n').map((l) => `  ${l}`).join('\n')}\n`,
      `${name}.yaml`,
    );
  const rules: Array<[Rule, Record<string, string>]> = [
    [seed, {}],
    [seed, { threshold: '0.5' }],
    // Whole rows out: every column must come through the shared table. (Under 150 rows a step: beyond that
    // Sentinel's cap makes the alerts depend on row order, which neither Kusto nor SQL fixes.)
    [variant(1, 'whole rows', 'ASimNetworkSessionLogs\n| where DstPortNumber == 139 and TimeGenerated > ago(3h)'), {}],
    // innerunique join (orders by every left column) and a union (matches by name).
    [
      variant(
        2,
        'join and union',
        'let recent = _Im_NetworkSession(starttime=ago(6h)) | where DstPortNumber in (139, 445);\n' +
          'let seen = ASimNetworkSessionLogs | where EventCount > 1 | summarize Big = count() by SrcIpAddr;\n' +
          'recent | join seen on SrcIpAddr | union (ASimNetworkSessionLogs | where SrcIpAddr startswith "172." | extend Big = 0)\n' +
          '| summarize Rows = count(), Last = max(TimeGenerated) by SrcIpAddr, Big',
      ),
      {},
    ],
  ];

  it.each(rules.map((entry, i) => [i, entry] as const))('rule %i: shared = unshared = a fresh compile per step', async (_i, [rule, params]) => {
    const db = join(tempDir(), 'edges.duckdb');
    await writeStore(db, seedFixtureRecords());
    const store = await openDuckDbStore(db);
    try {
      const from = new Date('2024-03-13T00:00:00Z');
      const to = new Date('2024-03-16T00:00:00Z');
      const shared = await backtest(store, rule, params, from, to);
      const unshared = await backtest(store, rule, params, from, to, { shareInput: false });
      expect(shared.sharedTables).toBeGreaterThan(0);
      expect(unshared.sharedTables).toBe(0);
      const fresh = kqlQueryRunner(store);
      const summary = (alerts: readonly Alert[]) => alerts.map((a) => `${a.alertId} ${JSON.stringify(a.rows)}`).sort();
      let fired = 0;
      for (const [index, at] of shared.times.entries()) {
        const direct = await evaluateRule(rule, params, fresh, at);
        expect(summary(shared.runs[index]!.alerts)).toEqual(summary(direct.alerts));
        expect(summary(unshared.runs[index]!.alerts)).toEqual(summary(direct.alerts));
        expect(shared.runs[index]!.resultRows).toBe(direct.resultRows);
        fired += direct.alerts.length;
      }
      expect(fired).toBeGreaterThan(0); // the comparison is not vacuous
      // The temporary tables are gone afterwards.
      expect(Number((await store.query("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__smbwatch_backtest%'")).rows[0]![0])).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('planSharedInput', () => {
  const T = Date.UTC(2024, 2, 15) * 1000;
  const DAY_US = 86_400_000_000;
  const templateText = (json: unknown) => JSON.stringify(json);

  it('the seed rule: one table of the four used columns; the costly tests run there, not per step', () => {
    const template = buildTemplate(builtinRules()[0]!.query, T, 14 * DAY_US);
    const shared = planSharedInput(template, T, T + 29 * DAY_US, duckdb, '__t');
    expect(shared.tables).toHaveLength(1); // baseline and recent reads share it
    const select = shared.tables[0]!.select;
    expect(select).toMatch(/^SELECT "__c0" AS "TimeGenerated", "__c1" AS "DstIpAddr", "__c2" AS "DstPortNumber", "__c3" AS "SrcIpAddr" FROM/);
    expect(select).toContain('make_timestamp(CAST(1709251200000000 AS BIGINT))'); // first step − 14d = 2024-03-01T00:00Z
    expect(select).toContain('make_timestamp(CAST(1712966400000000 AS BIGINT))'); // last step = 2024-04-13T00:00Z
    const before = templateText(template.ir);
    const after = templateText(shared.template.ir);
    const count = (text: string, what: string) => text.split(what).length - 1;
    expect(count(before, '"fn":"ipv4_is_private"')).toBe(2);
    expect(count(after, '"fn":"ipv4_is_private"')).toBe(0);
    expect(count(after, '"table":"__t0"')).toBe(2);
    expect(count(after, '"table":"ASimNetworkSessionLogs"')).toBe(0);
  });
});
