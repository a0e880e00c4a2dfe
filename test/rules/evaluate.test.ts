/**
 * evaluateRule through the real KQL compiler: self-contained rules on an in-memory DuckDB, and the seed rule
 * over a DuckDB store holding a handful of hand-placed records.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AsimRecord } from '../../src/asim/record.js';
import { openMemoryDuckDb, type MemoryDuckDb } from '../../src/kql/memory-duckdb.js';
import { evaluateRule, type QueryRunner } from '../../src/rules/evaluate.js';
import { kqlQueryRunner } from '../../src/rules/kql-runner.js';
import { builtinRules, loadRuleFile } from '../../src/rules/load.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import type { Store } from '../../src/store/engine.js';
import { useTempDir } from '../helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/rules/dir/', import.meta.url));
const fanOut = loadRuleFile(join(FIXTURES, 'datatable-rule.yaml'));
const single = loadRuleFile(join(FIXTURES, 'single-alert.yml'));
const T = new Date('2024-03-15T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const tempDir = useTempDir();

let memory: MemoryDuckDb;
let runner: QueryRunner;
let runs = 0;

beforeAll(async () => {
  memory = await openMemoryDuckDb();
  const real = kqlQueryRunner(memory);
  // Counts the queries that ran, to see suppression skip the query itself.
  runner = { run: (text, at, lookback) => ((runs += 1), real.run(text, at, lookback)) };
});
afterAll(() => memory.close());

const byName = <T extends { displayName: string }>(alerts: readonly T[]) => [...alerts].sort((a, b) => a.displayName.localeCompare(b.displayName));

describe('a rule run through the KQL compiler', () => {
  it('AlertPerResult: three rows pass `Servers >= 3`, three alerts with entities, details and overrides', async () => {
    const run = await evaluateRule(fanOut, {}, runner, T);
    expect(run).toMatchObject({ suppressed: false, resultRows: 3, triggered: true });
    expect(run.window).toEqual({ start: new Date(T.getTime() - DAY), end: T });
    expect(byName(run.alerts).map((a) => [a.displayName, a.description, a.severity, a.tactics, a.entities, a.customDetails, a.queryStartTime])).toEqual([
      [
        'SMB fan-out from ws01 to 7 servers',
        '10.0.0.1 reached 7 SMB servers',
        'High',
        ['Discovery', 'LateralMovement'],
        [{ type: 'ip', address: '10.0.0.1' }, { type: 'host', hostName: 'ws01' }],
        { ServerCount: [7] },
        '2024-03-14T00:00:00.000Z',
      ],
      [
        'SMB fan-out from ws02 to 4 servers',
        '10.0.0.2 reached 4 SMB servers',
        'Low',
        ['LateralMovement'],
        [{ type: 'ip', address: '10.0.0.2' }, { type: 'host', hostName: 'ws02' }],
        { ServerCount: [4] },
        '2024-03-14T00:00:00.000Z',
      ],
      [
        'SMB fan-out from ws03 to 5 servers',
        'Hosts that opened SMB sessions to many servers.', // {{SrcIpAddr}} is empty
        'Low', // "Nonsense" is no severity
        ['LateralMovement'], // "NotATactic" is no tactic
        [{ type: 'host', hostName: 'ws03' }], // empty address: no IP entity
        { ServerCount: [5] },
        '2024-03-14T00:00:00.000Z',
      ],
    ]);
    expect(byName(run.alerts)[0]!.rows).toEqual([{ SrcIpAddr: '10.0.0.1', SrcHostname: 'ws01', Servers: 7, Level: 'High', Tactic: 'Discovery,LateralMovement' }]);
  });

  it('parameters reach the query: minimum=5 leaves two rows, 6 leaves one (not > 1: no alert), 4.5 widens to real', async () => {
    const five = await evaluateRule(fanOut, { minimum: '5' }, runner, T);
    expect([five.resultRows, five.alerts.length]).toEqual([2, 2]);
    expect(five.queryText.split('\n')[0]).toBe('let minimum = 5; // servers');
    const six = await evaluateRule(fanOut, { minimum: '6' }, runner, T);
    expect([six.resultRows, six.triggered, six.alerts.length]).toEqual([1, false, 0]);
    const widened = await evaluateRule(fanOut, { minimum: '4.5' }, runner, T);
    expect(byName(widened.alerts).map((a) => a.rows[0]!.Servers)).toEqual([7, 5]);
    expect(widened.alerts.every((a) => a.parameters.minimum === '4.5')).toBe(true);
  });

  it('SingleAlert: one alert with every row, entities once, custom details from every row', async () => {
    const run = await evaluateRule(single, {}, runner, T);
    expect(run.alerts).toHaveLength(1);
    const [alert] = run.alerts;
    expect(alert).toMatchObject({
      displayName: 'Any SMB server contacted',
      severity: 'Informational',
      queryStartTime: '2024-03-14T19:00:00.000Z', // PT5H look-back
      queryEndTime: '2024-03-15T00:00:00.000Z',
      entities: [{ type: 'ip', address: '10.0.0.1' }, { type: 'ip', address: '10.0.0.2' }],
    });
    expect([...alert!.customDetails.Servers!].sort()).toEqual([2, 4, 7]);
    expect(alert!.rows).toHaveLength(3);
  });

  it('suppression: within 2h of an alerting run the query does not run at all; at 2h it runs', async () => {
    const before = runs;
    const suppressed = await evaluateRule(fanOut, {}, runner, T, { lastAlertAt: new Date(T.getTime() - HOUR) });
    expect(suppressed).toMatchObject({ suppressed: true, resultRows: 0, triggered: false, alerts: [] });
    expect(runs).toBe(before);
    const after = await evaluateRule(fanOut, {}, runner, T, { lastAlertAt: new Date(T.getTime() - 2 * HOUR) });
    expect([after.suppressed, after.alerts.length, runs]).toEqual([false, 3, before + 1]);
  });

  it('the same run twice gives the same alert ids', async () => {
    const ids = async () => (await evaluateRule(fanOut, {}, runner, T)).alerts.map((a) => a.alertId).sort();
    expect(await ids()).toEqual(await ids());
  });
});

/**
 * The seed rule at T = 2024-03-15T00:00Z over records placed by hand (seed-rule.md §3):
 *  - 10.0.0.5 → :445: baseline 2 (T−10d, T−5d), recent 4 (T−1h) → Deviation |4−2|/2 = 1.0
 *  - 10.0.0.6 → :139: baseline 1 (T−3d), recent 60 (T−12h) → Deviation |60−1|/1 = 59
 *  - 10.0.0.7 → :445: baseline 4 (T−2d … T−5d), recent 4 (T−2h) → Deviation 0; ten more records at T+1h are after `now`
 *    and invisible (were they counted, RecentCount 14 would give Deviation 2.5 and an alert under 0.5).
 * Threshold 50 (1.0.0): only 10.0.0.6 (59 > 50). Threshold 0.5 (1.0.1): 10.0.0.5 (1.0) and 10.0.0.6.
 */
describe('the seed rule over a store', () => {
  const record = (src: string, port: number, at: number): AsimRecord => ({
    TimeGenerated: at * 1000,
    SrcIpAddr: src,
    DstIpAddr: '10.0.1.10',
    DstPortNumber: port,
  });
  const t = T.getTime();
  const records: AsimRecord[] = [
    record('10.0.0.5', 445, t - 10 * DAY),
    record('10.0.0.5', 445, t - 5 * DAY),
    ...Array.from({ length: 4 }, () => record('10.0.0.5', 445, t - HOUR)),
    record('10.0.0.6', 139, t - 3 * DAY),
    ...Array.from({ length: 60 }, () => record('10.0.0.6', 139, t - 12 * HOUR)),
    ...Array.from({ length: 4 }, (_, i) => record('10.0.0.7', 445, t - (2 + i) * DAY)),
    ...Array.from({ length: 4 }, () => record('10.0.0.7', 445, t - 2 * HOUR)),
    ...Array.from({ length: 10 }, () => record('10.0.0.7', 445, t + HOUR)),
  ];
  let store: Store;

  beforeAll(async () => {
    store = await openDuckDbStore(join(tempDir(), 'seed.duckdb'));
    const ingest = await store.beginIngest();
    await ingest.appendRecords(records);
    await ingest.commit({
      name: 'hand-placed', format: 'test', size: 0, offsetReached: 0, lineReached: 0, contentHash: 'hand-placed',
      records: records.length, rejects: 0, ignored: 0, ingestedAt: T,
    });
  });
  afterAll(async () => store.close());

  it('version 1.0.0 (threshold 50): one alert, for 10.0.0.6 on 139', async () => {
    const run = await evaluateRule(builtinRules()[0]!, {}, kqlQueryRunner(store), T);
    expect(run.resultRows).toBe(1);
    expect(run.alerts.map((a) => [a.rows, a.entities])).toEqual([
      [[{ SrcIpAddr: '10.0.0.6', DstPortNumber: 139, Deviation: 59, Count: 60 }], [{ type: 'ip', address: '10.0.0.6' }]],
    ]);
  });

  it('threshold=0.5 (version 1.0.1): 10.0.0.5 on 445 as well', async () => {
    const run = await evaluateRule(builtinRules()[0]!, { threshold: '0.5' }, kqlQueryRunner(store), T);
    const rows = run.alerts.map((a) => a.rows[0]!).sort((a, b) => String(a.SrcIpAddr).localeCompare(String(b.SrcIpAddr)));
    expect(rows).toEqual([
      { SrcIpAddr: '10.0.0.5', DstPortNumber: 445, Deviation: 1, Count: 4 },
      { SrcIpAddr: '10.0.0.6', DstPortNumber: 139, Deviation: 59, Count: 60 },
    ]);
  });
});
