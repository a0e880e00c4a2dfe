/**
 * Re-running a rule at the same time adds no alert, even when the result has more than 150 rows (Sentinel's cap:
 * which rows get an alert of their own must not depend on the order the engine returns them in). Two stores hold
 * the same 400 sessions ingested in opposite orders, so a scan returns them in opposite orders; every way of
 * running the rule — `run`, `backtest --store`, the watch loop — must give the same 150 alert ids on both.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listAlerts } from '../../src/alerts/store.js';
import type { Alert } from '../../src/alerts/types.js';
import type { AsimRecord } from '../../src/asim/record.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { memoryLog } from '../../src/watch/log.js';
import { resolveRules } from '../../src/watch/rules.js';
import { Watcher } from '../../src/watch/watcher.js';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';
import { writeStore } from '../run/stores.js';
import { ManualClock } from '../watch/helpers.js';

const tempDir = useTempDir();
const RULE = new URL('../fixtures/alerts/every-smb-session.yaml', import.meta.url).pathname;
const T = '2024-03-15T00:00:00Z';
const T_MICROS = Date.parse(T) * 1000;

/** 400 SMB sessions in the day before T: 40 sources × 10 source ports, one a minute. */
function sessions(): AsimRecord[] {
  return Array.from({ length: 400 }, (_, i) => ({
    TimeGenerated: T_MICROS - (i + 1) * 60_000_000,
    SrcIpAddr: `10.0.${Math.floor(i / 10)}.${10 + (i % 40)}`,
    SrcPortNumber: 50000 + i,
    DstIpAddr: '10.1.0.1',
    DstPortNumber: 445,
  }));
}

async function twoStores(): Promise<[string, string]> {
  const dir = tempDir();
  const forward = join(dir, 'forward.duckdb');
  const backward = join(dir, 'backward.duckdb');
  await writeStore(forward, sessions());
  await writeStore(backward, sessions().reverse());
  return [forward, backward];
}

const jsonl = (stdout: string): Alert[] => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Alert);

async function storedIds(db: string): Promise<string[]> {
  const store = await openDuckDbStore(db);
  try {
    return (await listAlerts(store)).map((alert) => alert.alertId).sort();
  } finally {
    await store.close();
  }
}

describe('alerts of a run with more than 150 result rows', () => {
  it('run, backtest --store and the watch loop: the same 150 alerts at every re-run, whatever order the store returns the rows in', async () => {
    const [forward, backward] = await twoStores();
    const first = runCli(['run', '--db', forward, '--rule', RULE, '--at', T, '--output', 'jsonl']);
    expect(first.stderr).toBe('');
    const alerts = jsonl(first.stdout);
    expect(alerts).toHaveLength(150);
    // 149 alerts of one row each, then one covering all 400 rows.
    expect(alerts.slice(0, 149).every((alert) => alert.rows.length === 1)).toBe(true);
    expect(alerts[149]!.rows).toHaveLength(400);
    const ids = alerts.map((alert) => alert.alertId).sort();

    const rerun = runCli(['run', '--db', forward, '--rule', RULE, '--at', T]);
    expect(rerun.stdout).toContain('400 result rows, 150 alerts fired (0 new, 150 already stored)');
    expect(await storedIds(forward)).toEqual(ids);

    // The other store, through backtest --store, twice: the same alerts, stored once.
    for (let time = 0; time < 2; time++) {
      const backtest = runCli(['backtest', '--db', backward, '--rule', RULE, '--from', T, '--to', T, '--store', '--output', 'json']);
      expect(backtest.stderr).toBe('');
      const report = JSON.parse(backtest.stdout) as { runs: Array<{ alertIds: string[] }>; totals: { storedAlerts: number } };
      expect([...report.runs[0]!.alertIds].sort()).toEqual(ids);
      expect(report.totals.storedAlerts).toBe(time === 0 ? 150 : 0);
    }
    expect(await storedIds(backward)).toEqual(ids);

    // The watch loop on both stores: the run at T stores nothing new and delivers the same 150 alerts.
    for (const db of [forward, backward]) {
      const sent: string[] = [];
      const watcher = new Watcher({
        inputs: [],
        pollIntervalMs: 60_000,
        schedule: { anchor: new Date(0), start: new Date(T), delayMs: 0 },
        rules: resolveRules({ file: 'test', rules: [{ kind: 'path', ref: RULE, params: {} }] }, new Date(T)),
        sinks: [{ name: 'memory', description: 'memory', deliver: async (alert: Alert) => void sent.push(alert.alertId), close: async () => undefined }],
        clock: new ManualClock('2024-03-15T00:10:00Z'),
        openStore: () => openDuckDbStore(db),
        log: memoryLog(),
      });
      const report = await watcher.tick();
      expect(report.runs.map((run) => [run.at.toISOString(), run.resultRows, run.alerts, run.newAlerts])).toEqual([['2024-03-15T00:00:00.000Z', 400, 150, 0]]);
      expect(sent.sort()).toEqual(ids);
      expect(await storedIds(db)).toEqual(ids);
    }
  }, 240_000); // four CLI runs over 400 rows: slow on a busy machine
});
