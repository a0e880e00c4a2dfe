/**
 * Alerts kept in the store, once: keyed by the deterministic alert id, so re-running a rule at the same time adds
 * nothing. The table itself is the store's (`Store.alerts`: DuckDB or ClickHouse); this module maps alerts to its
 * rows. The table is named `smbwatch_alerts` in every store.
 */
import type { AlertRow, Store } from '../store/engine.js';
import type { Alert } from './types.js';

export const ALERTS_TABLE = 'smbwatch_alerts';

/** Microseconds since the epoch of an ISO time. */
function micros(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${iso}`);
  return Math.trunc(ms) * 1000;
}

function alertRow(alert: Alert): AlertRow {
  return {
    alertId: alert.alertId,
    ruleId: alert.ruleId,
    ruleVersion: alert.ruleVersion,
    ruleName: alert.ruleName,
    severity: alert.severity,
    displayName: alert.displayName,
    queryStart: micros(alert.queryStartTime),
    queryEnd: micros(alert.queryEndTime),
    json: JSON.stringify(alert),
  };
}

/** Stores the alerts not stored yet; returns those that were new. */
export async function storeAlerts(store: Store, alerts: readonly Alert[]): Promise<Alert[]> {
  const unique = [...new Map(alerts.map((alert) => [alert.alertId, alert])).values()];
  if (unique.length === 0) return [];
  const fresh = await store.alerts.insertNew(unique.map(alertRow));
  return unique.filter((alert) => fresh.has(alert.alertId));
}

export interface AlertFilter {
  /** Only alerts whose run time (query end) is at or after this time. */
  readonly since?: Date;
  /** … at or before this time. */
  readonly until?: Date;
  /** … exactly this time: the alerts of one run. */
  readonly runAt?: Date;
  readonly ruleId?: string;
}

export async function listAlerts(store: Store, filter: AlertFilter = {}): Promise<Alert[]> {
  const since = Math.max(filter.since?.getTime() ?? -Infinity, filter.runAt?.getTime() ?? -Infinity);
  const json = await store.alerts.list({
    ...(Number.isFinite(since) ? { sinceMicros: since * 1000 } : {}),
    ...(filter.ruleId ? { ruleId: filter.ruleId.toLowerCase() } : {}),
  });
  const until = Math.min(filter.until?.getTime() ?? Infinity, filter.runAt?.getTime() ?? Infinity);
  return json
    .map((text) => JSON.parse(text) as Alert)
    .filter((alert) => Date.parse(alert.queryEndTime) <= until);
}

/** The ids among these alerts that the store already holds (what storing them would not add). */
export async function alreadyStored(store: Store, alerts: readonly Alert[]): Promise<Set<string>> {
  const wanted = new Set(alerts.map((alert) => alert.alertId));
  const stored = new Set<string>();
  for (const ruleId of new Set(alerts.map((alert) => alert.ruleId))) {
    const since = Math.min(...alerts.filter((alert) => alert.ruleId === ruleId).map((alert) => micros(alert.queryEndTime)));
    for (const text of await store.alerts.list({ ruleId, sinceMicros: since })) {
      const id = (JSON.parse(text) as Alert).alertId;
      if (wanted.has(id)) stored.add(id);
    }
  }
  return stored;
}

/** Alerts whose id starts with this prefix (an id in full, or the 8 digits tables show). */
export async function alertsById(store: Store, prefix: string): Promise<Alert[]> {
  const wanted = prefix.trim().toLowerCase();
  return (await listAlerts(store)).filter((alert) => alert.alertId.startsWith(wanted));
}

/** The time of the latest run of this rule, before `before`, that stored an alert (for suppression). */
export async function lastAlertTime(store: Store, ruleId: string, before: Date): Promise<Date | undefined> {
  const micros = await store.alerts.lastQueryEnd(ruleId, before.getTime() * 1000);
  return micros === undefined ? undefined : new Date(micros / 1000);
}
