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
  readonly ruleId?: string;
}

export async function listAlerts(store: Store, filter: AlertFilter = {}): Promise<Alert[]> {
  const json = await store.alerts.list({
    ...(filter.since ? { sinceMicros: filter.since.getTime() * 1000 } : {}),
    ...(filter.ruleId ? { ruleId: filter.ruleId.toLowerCase() } : {}),
  });
  return json.map((text) => JSON.parse(text) as Alert);
}

/** The time of the latest run of this rule, before `before`, that stored an alert (for suppression). */
export async function lastAlertTime(store: Store, ruleId: string, before: Date): Promise<Date | undefined> {
  const micros = await store.alerts.lastQueryEnd(ruleId, before.getTime() * 1000);
  return micros === undefined ? undefined : new Date(micros / 1000);
}
