/**
 * Alerts kept in the store, once: table `smbwatch_alerts`, keyed by the deterministic alert id, so re-running a
 * rule at the same time adds nothing. Every value reaches SQL through the store's quoting.
 */
import type { Store } from '../store/engine.js';
import { quoteString } from '../store/sql.js';
import type { Alert } from './types.js';

export const ALERTS_TABLE = 'smbwatch_alerts';

const ALERTS_DDL = `CREATE TABLE IF NOT EXISTS ${ALERTS_TABLE} (
  alert_id VARCHAR NOT NULL,
  rule_id VARCHAR NOT NULL,
  rule_version VARCHAR NOT NULL,
  rule_name VARCHAR NOT NULL,
  severity VARCHAR NOT NULL,
  display_name VARCHAR NOT NULL,
  query_start TIMESTAMP NOT NULL,
  query_end TIMESTAMP NOT NULL,
  alert_json VARCHAR NOT NULL,
  stored_at TIMESTAMP NOT NULL
)`;

export async function ensureAlertsTable(store: Store): Promise<void> {
  await store.query(ALERTS_DDL);
}

/** Microseconds since the epoch of an ISO time, as a SQL integer (never text from outside). */
function timestampSql(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${iso}`);
  return `make_timestamp(${Math.trunc(ms) * 1000})`;
}

/** Stores the alerts not stored yet; returns those that were new. */
export async function storeAlerts(store: Store, alerts: readonly Alert[]): Promise<Alert[]> {
  await ensureAlertsTable(store);
  const unique = [...new Map(alerts.map((alert) => [alert.alertId, alert])).values()];
  if (unique.length === 0) return [];
  const existing = await store.query(
    `SELECT alert_id FROM ${ALERTS_TABLE} WHERE alert_id IN (${unique.map((alert) => quoteString(alert.alertId)).join(', ')})`,
  );
  const stored = new Set(existing.rows.map((row) => String(row[0])));
  const fresh = unique.filter((alert) => !stored.has(alert.alertId));
  if (fresh.length === 0) return [];
  const values = fresh.map((alert) =>
    [
      quoteString(alert.alertId),
      quoteString(alert.ruleId),
      quoteString(alert.ruleVersion),
      quoteString(alert.ruleName),
      quoteString(alert.severity),
      quoteString(alert.displayName),
      timestampSql(alert.queryStartTime),
      timestampSql(alert.queryEndTime),
      quoteString(JSON.stringify(alert)),
      'current_timestamp::TIMESTAMP',
    ].join(', '),
  );
  // The NOT EXISTS guard keeps the table free of duplicates even if another process stored them meanwhile.
  await store.query(
    `INSERT INTO ${ALERTS_TABLE}
     SELECT * FROM (VALUES (${values.join('), (')})) AS v(alert_id, rule_id, rule_version, rule_name, severity, display_name, query_start, query_end, alert_json, stored_at)
     WHERE NOT EXISTS (SELECT 1 FROM ${ALERTS_TABLE} AS a WHERE a.alert_id = v.alert_id)`,
  );
  return fresh;
}

export interface AlertFilter {
  /** Only alerts whose run time (query end) is at or after this time. */
  readonly since?: Date;
  readonly ruleId?: string;
}

export async function listAlerts(store: Store, filter: AlertFilter = {}): Promise<Alert[]> {
  await ensureAlertsTable(store);
  const conditions: string[] = [];
  if (filter.since) conditions.push(`query_end >= ${timestampSql(filter.since.toISOString())}`);
  if (filter.ruleId) conditions.push(`rule_id = ${quoteString(filter.ruleId.toLowerCase())}`);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const result = await store.query(`SELECT alert_json FROM ${ALERTS_TABLE} ${where} ORDER BY query_end, display_name, alert_id`);
  return result.rows.map((row) => JSON.parse(String(row[0])) as Alert);
}

/** The time of the latest run of this rule, before `before`, that stored an alert (for suppression). */
export async function lastAlertTime(store: Store, ruleId: string, before: Date): Promise<Date | undefined> {
  await ensureAlertsTable(store);
  const result = await store.query(
    `SELECT max(epoch_us(query_end)) FROM ${ALERTS_TABLE}
     WHERE rule_id = ${quoteString(ruleId)} AND query_end < ${timestampSql(before.toISOString())}`,
  );
  const micros = result.rows[0]?.[0];
  return micros === null || micros === undefined ? undefined : new Date(Number(micros) / 1000);
}
