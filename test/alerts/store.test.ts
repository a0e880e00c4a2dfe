import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAlerts } from '../../src/alerts/build.js';
import { ALERTS_TABLE, lastAlertTime, listAlerts, storeAlerts } from '../../src/alerts/store.js';
import { isSuppressed } from '../../src/alerts/suppression.js';
import type { TypedResult } from '../../src/alerts/types.js';
import { builtinRules } from '../../src/rules/load.js';
import type { Rule } from '../../src/rules/rule.js';
import { openDuckDbStore } from '../../src/store/duckdb.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const seed = builtinRules()[0]!;

const result: TypedResult = {
  columns: [
    { name: 'SrcIpAddr', type: 'string' },
    { name: 'DstPortNumber', type: 'int' },
    { name: 'Deviation', type: 'real' },
    { name: 'Count', type: 'long' },
  ],
  rows: [
    ["10.0.0.5'; DROP TABLE smbwatch_alerts; --", 445, 51.5, 1000],
    ['10.0.0.6', 139, 60.25, 2000],
  ],
};

function alertsAt(iso: string, rule: Rule = seed) {
  const end = new Date(iso);
  return buildAlerts(rule, result, { start: new Date(end.getTime() - rule.queryPeriodMs), end });
}

describe('the alert store', () => {
  it('keeps each alert once: storing the same run again adds nothing', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'alerts.duckdb'));
    try {
      const run = alertsAt('2024-03-15T00:00:00Z');
      expect(await storeAlerts(store, run)).toHaveLength(2);
      expect(await storeAlerts(store, run)).toEqual([]);
      expect(await storeAlerts(store, [...run, ...run])).toEqual([]);
      const count = await store.query(`SELECT count(*) FROM ${ALERTS_TABLE}`);
      expect(count.rows).toEqual([[2]]);
      // read back whole, quotes and all
      const byId = (alerts: typeof run) => [...alerts].sort((a, b) => a.alertId.localeCompare(b.alertId));
      expect(byId(await listAlerts(store))).toEqual(byId(run));
    } finally {
      await store.close();
    }
  });

  it('lists by run time (--since) and rule, oldest first', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'alerts.duckdb'));
    try {
      const other: Rule = { ...seed, id: '11111111-2222-4333-8444-555555555555' };
      await storeAlerts(store, [...alertsAt('2024-03-16T00:00:00Z'), ...alertsAt('2024-03-15T00:00:00Z'), ...alertsAt('2024-03-16T00:00:00Z', other)]);
      const times = (alerts: Awaited<ReturnType<typeof listAlerts>>) => alerts.map((a) => `${a.queryEndTime} ${a.ruleId.slice(0, 4)}`);
      expect(times(await listAlerts(store))).toHaveLength(6);
      expect(times(await listAlerts(store, { since: new Date('2024-03-16T00:00:00Z') })).sort()).toEqual([
        '2024-03-16T00:00:00.000Z 1111',
        '2024-03-16T00:00:00.000Z 1111',
        '2024-03-16T00:00:00.000Z 8717',
        '2024-03-16T00:00:00.000Z 8717',
      ]);
      expect(times(await listAlerts(store, { ruleId: seed.id.toUpperCase() }))).toEqual([
        '2024-03-15T00:00:00.000Z 8717',
        '2024-03-15T00:00:00.000Z 8717',
        '2024-03-16T00:00:00.000Z 8717',
        '2024-03-16T00:00:00.000Z 8717',
      ]);
      expect(await listAlerts(store, { since: new Date('2024-03-16T00:00:00.001Z') })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('knows the rule\'s latest alerting run before a time', async () => {
    const store = await openDuckDbStore(join(tempDir(), 'alerts.duckdb'));
    try {
      expect(await lastAlertTime(store, seed.id, new Date('2024-03-20T00:00:00Z'))).toBeUndefined();
      await storeAlerts(store, [...alertsAt('2024-03-10T00:00:00Z'), ...alertsAt('2024-03-15T06:30:00Z')]);
      expect(await lastAlertTime(store, seed.id, new Date('2024-03-20T00:00:00Z'))).toEqual(new Date('2024-03-15T06:30:00Z'));
      expect(await lastAlertTime(store, seed.id, new Date('2024-03-15T06:30:00Z'))).toEqual(new Date('2024-03-10T00:00:00Z'));
      expect(await lastAlertTime(store, 'other', new Date('2024-03-20T00:00:00Z'))).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('suppression', () => {
  const rule: Rule = { ...seed, suppressionEnabled: true, suppressionDurationMs: 5 * 3_600_000 };
  const alerted = new Date('2024-03-15T00:00:00Z');
  const at = (hours: number) => new Date(alerted.getTime() + hours * 3_600_000);

  it('skips the rule\'s runs for suppressionDuration after an alerting run, then runs again', () => {
    expect(isSuppressed(rule, at(0), alerted)).toBe(false); // the alerting run itself (re-run: same alerts, stored once)
    expect(isSuppressed(rule, at(1), alerted)).toBe(true);
    expect(isSuppressed(rule, at(4.99), alerted)).toBe(true);
    expect(isSuppressed(rule, at(5), alerted)).toBe(false);
    expect(isSuppressed(rule, at(-1), alerted)).toBe(false); // an earlier run (backtest order) is not affected
  });

  it('does nothing when disabled or when the rule never alerted', () => {
    expect(isSuppressed({ ...rule, suppressionEnabled: false }, at(1), alerted)).toBe(false);
    expect(isSuppressed(rule, at(1), undefined)).toBe(false);
  });
});
