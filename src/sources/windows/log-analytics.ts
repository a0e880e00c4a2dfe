/**
 * Rows of the Log Analytics tables that hold Windows events — `Event`, `WindowsEvent`, `SecurityEvent` — as
 * exported from Sentinel (CSV with `TimeGenerated [UTC]` headers, or JSON), turned into `WindowsEvent`s.
 *
 * `TimeGenerated` is the export's own column: that is what the ASIM parsers pass through. Columns named
 * `… [Local Time]` are in the exporter's zone, which the file does not record: they need `--timezone`.
 */
import { isoToMicros, logAnalyticsToMicros, zonedWallTimeToMicros } from '../../util/time.js';
import { EventData, SECURITY_AUDITING_PROVIDER, type WindowsEvent, type WindowsTable } from './event.js';
import { eventDataFromXmlText } from './event-xml.js';
import { parseJson } from '../json-depth.js';

/** A row as read: column name (with any ` [UTC]`/` [Local Time]` suffix) → value. */
export type ExportRow = Readonly<Record<string, unknown>>;

const TABLES: readonly WindowsTable[] = ['Event', 'WindowsEvent', 'SecurityEvent'];

/** The Windows-event table a row comes from, from its `Type` column or, failing that, its columns. */
export function tableOfRow(row: ExportRow): WindowsTable | undefined {
  if (!('EventData' in row) || !hasColumn(row, 'EventID')) return undefined;
  const type = row['Type'];
  if (typeof type === 'string' && (TABLES as readonly string[]).includes(type)) return type as WindowsTable;
  if (type !== undefined && type !== '') return undefined;
  if ('Source' in row && 'EventLog' in row) return 'Event';
  if ('Provider' in row) return 'WindowsEvent';
  if ('EventSourceName' in row || 'Activity' in row) return 'SecurityEvent';
  return undefined;
}

/** A column with or without its datetime suffix. */
function hasColumn(row: ExportRow, name: string): boolean {
  return name in row || `${name} [UTC]` in row || `${name} [Local Time]` in row;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export interface TimeReading {
  readonly micros: number | null;
  readonly problem?: { readonly field: string; readonly reason: string };
}

/**
 * A datetime column of an export: `TimeGenerated [UTC]` (or bare `TimeGenerated`, taken as UTC unless it
 * carries a zone) in ISO 8601 or the `7/5/2023, 2:16:44.756 PM` export form; `TimeGenerated [Local Time]`
 * converted from `timezone`, which must be given.
 */
export function exportTime(row: ExportRow, name: string, timezone: string | undefined): TimeReading {
  for (const column of [`${name} [UTC]`, name]) {
    if (column in row) return parsed(text(row[column]), column, (micros) => micros);
  }
  const local = `${name} [Local Time]`;
  if (local in row) {
    if (!timezone) return { micros: null, problem: { field: local, reason: `${local} is in the exporter's zone: give --timezone` } };
    return parsed(text(row[local]), local, (micros) => zonedWallTimeToMicros(micros, timezone));
  }
  return { micros: null, problem: { field: name, reason: `no ${name} column` } };
}

function parsed(value: string, column: string, toUtc: (micros: number) => number): TimeReading {
  const micros = isoToMicros(value) ?? logAnalyticsToMicros(value);
  if (micros === null) return { micros: null, problem: { field: column, reason: `not a timestamp: "${value}"` } };
  return { micros: toUtc(micros) };
}

/** EventData of a row: XML text (Event, SecurityEvent) or a JSON object / JSON text (WindowsEvent). */
function eventDataOfRow(value: unknown): EventData {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('{')) {
      try {
        return eventDataOfObject(parseJson(trimmed) as unknown);
      } catch {
        return new EventData();
      }
    }
    return eventDataFromXmlText(value);
  }
  return eventDataOfObject(value);
}

export function eventDataOfObject(value: unknown): EventData {
  const data = new EventData();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return data;
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) data.set(name, text(item));
  return data;
}

function eventIdOf(value: unknown): number | null {
  const id = text(value).trim();
  return /^\d+$/.test(id) ? Number(id) : null;
}

export function windowsEventOfRow(row: ExportRow, table: WindowsTable, timezone: string | undefined): WindowsEvent {
  const time = exportTime(row, 'TimeGenerated', timezone);
  const provider =
    table === 'Event' ? text(row['Source']) : table === 'WindowsEvent' ? text(row['Provider']) : text(row['EventSourceName']) || SECURITY_AUDITING_PROVIDER;
  const resourceId = text(row['_ResourceId']);
  return {
    provider,
    eventId: eventIdOf(row['EventID']),
    channel: table === 'Event' ? text(row['EventLog']) : text(row['Channel']),
    computer: text(row['Computer']),
    timeGenerated: time.micros,
    ...(time.problem ? { timeProblem: time.problem } : {}),
    data: eventDataOfRow(row['EventData']),
    table,
    ...(resourceId ? { resourceId } : {}),
  };
}
