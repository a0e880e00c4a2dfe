/**
 * Alerts as aligned tables for people: the alerts of a run (with whether the store already had each) and the
 * alerts kept in the store. A cell summarises: the first few entities, the first covered row; `smbwatch alerts
 * show ID` and the json outputs have everything.
 */
import type { KustoValue } from '../kql/values.js';
import { fitTable, tableNotes, type TableOptions } from '../util/table.js';
import type { Alert } from './types.js';

/**
 * The run's alerts as a table (`stored`: new, or already stored); `options` fit it to a screen, and a note below
 * says what that left out.
 */
export function renderAlertTable(alerts: readonly Alert[], fresh: ReadonlySet<string>, options: TableOptions = {}, freshLabel = 'new'): string {
  const rows = alerts.map((alert) => [
    alert.severity,
    alert.displayName,
    entitySummary(alert),
    rowSummary(alert),
    shortId(alert),
    fresh.has(alert.alertId) ? freshLabel : 'already stored',
  ]);
  const table = fitTable(['severity', 'alert', 'entities', 'result', 'id', 'stored'], rows, options);
  return [table.text, ...tableNotes(table)].join('\n');
}

/** Alerts kept in the store, with their run time. */
export function renderAlertList(alerts: readonly Alert[], options: TableOptions = {}): string {
  const rows = alerts.map((alert) => [alert.queryEndTime, alert.severity, alert.displayName, entitySummary(alert), rowSummary(alert), shortId(alert)]);
  const table = fitTable(['run time', 'severity', 'alert', 'entities', 'result', 'id'], rows, options);
  return [table.text, ...tableNotes(table)].join('\n');
}

/** The first 8 hex digits of the id: enough for `smbwatch alerts show`, which takes any unique prefix. */
export function shortId(alert: Alert): string {
  return alert.alertId.slice(0, 8);
}

const ENTITIES_LISTED = 3;

export function entityText({ type, ...identifiers }: Alert['entities'][number]): string {
  return `${type}:${Object.values(identifiers).join('/')}`;
}

/** The first entities, and how many more (a whole-result alert can carry hundreds). */
function entitySummary(alert: Alert): string {
  const listed = alert.entities.slice(0, ENTITIES_LISTED).map(entityText).join(' ');
  const more = alert.entities.length - ENTITIES_LISTED;
  return more > 0 ? `${listed} (+${more} more)` : listed;
}

/** The first covered row as `Column=value` pairs (reals rounded for reading), and how many more rows. */
function rowSummary(alert: Alert): string {
  const first = alert.rows[0];
  if (!first) return '';
  const shown = Object.entries(first).map(([column, value]) => `${column}=${readable(value)}`).join(' ');
  return alert.rows.length > 1 ? `${shown} (+${alert.rows.length - 1} rows)` : shown;
}

function readable(value: KustoValue): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Math.round(value * 1000) / 1000);
  return typeof value === 'string' ? value : JSON.stringify(value);
}
