/**
 * Finding stored alerts by id or unique prefix (as `smbwatch alerts` shows them, 8 characters), reading the store
 * only: a store without alerts has no `smbwatch_alerts` table, and that is not an error here.
 */
import { ALERTS_TABLE } from '../alerts/store.js';
import type { Alert } from '../alerts/types.js';
import type { Store } from '../store/engine.js';
import { quoteString } from '../store/sql.js';

export class AlertLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertLookupError';
  }
}

const ID_PREFIX = /^[0-9a-f-]{1,36}$/i;

export async function hasAlertsTable(store: Pick<Store, 'query'>): Promise<boolean> {
  const result = await store.query(`SELECT count(*) FROM information_schema.tables WHERE table_name = ${quoteString(ALERTS_TABLE)}`);
  return Number(result.rows[0]?.[0] ?? 0) > 0;
}

/** The alert whose id is `prefix` or starts with it; an error naming the candidates when it is not unique. */
export async function findAlert(store: Pick<Store, 'query'>, prefix: string): Promise<Alert> {
  const wanted = prefix.trim().toLowerCase();
  if (!ID_PREFIX.test(wanted)) throw new AlertLookupError(`not an alert id or id prefix (hex digits and dashes): "${prefix}"`);
  if (!(await hasAlertsTable(store))) throw new AlertLookupError('the store holds no alerts (run a rule first: smbwatch run)');
  const result = await store.query(
    `SELECT alert_json FROM ${ALERTS_TABLE} WHERE alert_id LIKE ${quoteString(`${wanted}%`)} ORDER BY query_end, alert_id LIMIT 6`,
  );
  const alerts = result.rows.map((row) => JSON.parse(String(row[0])) as Alert);
  if (alerts.length === 0) throw new AlertLookupError(`no alert with id ${wanted}${wanted.length < 36 ? '…' : ''} in the store (see smbwatch alerts)`);
  if (alerts.length > 1) {
    const listed = alerts.slice(0, 5).map((a) => `  ${a.alertId}  ${a.queryEndTime}  ${a.displayName}`);
    throw new AlertLookupError(`${wanted} matches ${alerts.length > 5 ? 'more than 5' : alerts.length} alerts; give more of the id:\n${listed.join('\n')}`);
  }
  return alerts[0]!;
}

export interface StoredAlertFilter {
  /** Run times (query end) in [from, to], both included, when given. */
  readonly from?: Date;
  readonly to?: Date;
  readonly ruleId?: string;
}

/** Stored alerts, oldest run first, without writing to the store (a store without alerts has none). */
export async function storedAlerts(store: Pick<Store, 'query' | 'engine' | 'alerts'>, filter: StoredAlertFilter = {}): Promise<Alert[]> {
  let alerts: Alert[];
  if (store.engine === 'duckdb') {
    if (!(await hasAlertsTable(store))) return [];
    const result = await store.query(`SELECT alert_json FROM ${ALERTS_TABLE} ORDER BY query_end, display_name, alert_id`);
    alerts = result.rows.map((row) => JSON.parse(String(row[0])) as Alert);
  } else {
    alerts = (await store.alerts.list({})).map((text) => JSON.parse(text) as Alert);
  }
  const from = filter.from?.getTime() ?? -Infinity;
  const to = filter.to?.getTime() ?? Infinity;
  const rule = filter.ruleId?.toLowerCase();
  return alerts.filter((a) => {
    const at = Date.parse(a.queryEndTime);
    return at >= from && at <= to && (rule === undefined || a.ruleId === rule);
  });
}
