/**
 * Alerts as an aligned table for people: severity, name, entities, the first covered row, short id, and
 * whether the store already had it.
 */
import type { KustoValue } from '../kql/values.js';
import { renderTable } from '../util/table.js';
import type { Alert } from './types.js';

export function renderAlertTable(alerts: readonly Alert[], fresh: ReadonlySet<string>): string {
  const rows = alerts.map((alert) => [
    alert.severity,
    alert.displayName,
    alert.entities.map(({ type, ...identifiers }) => `${type}:${Object.values(identifiers).join('/')}`).join(' '),
    rowSummary(alert),
    alert.alertId.slice(0, 8),
    fresh.has(alert.alertId) ? 'new' : 'already stored',
  ]);
  return renderTable(['severity', 'alert', 'entities', 'result', 'id', 'stored'], rows);
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
