/**
 * Windows events flattened to JSON by NXLog (`im_msvistalog` + `to_json()`), as in the OTRF Security-Datasets:
 * one object per event, the EventData fields at top level next to NXLog's own (`EventID`, `SourceName`,
 * `Channel`, `Hostname`, `EventTime`, `EventReceivedTime`), often with Logstash's `@timestamp`. Event values
 * are strings; `EventID` is a number.
 *
 * TimeGenerated is the event's creation time, `EventTime` (System/TimeCreated), which NXLog writes as local
 * wall-clock time without a zone (`2020-10-22 04:29:46`). Its zone is found, in order:
 * 1. from the text itself when it carries an offset (NXLog configured to write ISO 8601);
 * 2. from the record: `@timestamp` (UTC, stamped by Logstash on receipt) minus `EventReceivedTime` (the same
 *    moment on NXLog's local clock), rounded to the nearest 15 minutes — the OTRF data gives UTC−4 this way;
 * 3. from `--timezone` (default UTC).
 * When `EventTime` is missing, `@timestamp` is used. The result has second precision (what NXLog writes).
 */
import { isoHasZone, isoToMicros, zonedWallTimeToMicros } from '../../util/time.js';
import { EventData, type WindowsEvent } from './event.js';

export type JsonObject = Readonly<Record<string, unknown>>;

/** NXLog's own fields (and Logstash's), kept out of EventData so they cannot shadow event fields. */
const NXLOG_METADATA: ReadonlySet<string> = new Set([
  'EventTime', 'EventReceivedTime', '@timestamp', '@version', 'Hostname', 'SourceName', 'Channel', 'EventID',
  'SourceModuleName', 'SourceModuleType', 'ProviderGuid', 'Keywords', 'EventType', 'SeverityValue', 'Severity',
  'Task', 'OpcodeValue', 'Opcode', 'RecordNumber', 'ExecutionProcessID', 'ThreadID', 'Category', 'Message',
  'Version', 'tags', 'host', 'port', 'Domain', 'AccountName', 'UserID', 'AccountType',
]);

export function isNxlogEvent(object: JsonObject): boolean {
  return 'EventID' in object && ('SourceName' in object || 'Channel' in object) && !('EventData' in object) && !('winlog' in object);
}

const QUARTER_HOUR_MS = 15 * 60 * 1000;

export function windowsEventOfNxlog(object: JsonObject, timezone: string | undefined): WindowsEvent {
  const data = new EventData();
  for (const [name, value] of Object.entries(object)) {
    if (NXLOG_METADATA.has(name)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') data.set(name, String(value));
  }
  const time = nxlogTime(object, timezone);
  const eventId = String(object['EventID'] ?? '').trim();
  const recordNumber = object['RecordNumber'];
  return {
    provider: stringField(object, 'SourceName'),
    eventId: /^\d+$/.test(eventId) ? Number(eventId) : null,
    channel: stringField(object, 'Channel'),
    computer: stringField(object, 'Hostname'),
    timeGenerated: time.micros,
    ...(time.problem ? { timeProblem: time.problem } : {}),
    data,
    ...(recordNumber !== undefined ? { recordId: String(recordNumber) } : {}),
  };
}

function stringField(object: JsonObject, name: string): string {
  const value = object[name];
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

interface Reading {
  readonly micros: number | null;
  readonly problem?: { readonly field: string; readonly reason: string };
}

function nxlogTime(object: JsonObject, timezone: string | undefined): Reading {
  const eventTime = stringField(object, 'EventTime');
  const stamp = stringField(object, '@timestamp');
  if (eventTime === '') {
    const micros = isoToMicros(stamp);
    return micros === null ? { micros, problem: { field: '@timestamp', reason: 'no EventTime and no ISO 8601 @timestamp' } } : { micros };
  }
  const wallClock = isoToMicros(eventTime);
  if (wallClock === null) return { micros: null, problem: { field: 'EventTime', reason: `not a timestamp: "${eventTime}"` } };
  if (isoHasZone(eventTime)) return { micros: wallClock };
  const offset = offsetFromReceipt(stamp, stringField(object, 'EventReceivedTime'));
  if (offset !== null) return { micros: wallClock - offset * 1000 };
  try {
    return { micros: zonedWallTimeToMicros(wallClock, timezone ?? 'UTC') };
  } catch {
    return { micros: null, problem: { field: 'EventTime', reason: `unknown time zone "${timezone}"` } };
  }
}

/** Milliseconds the NXLog host's clock is ahead of UTC, from one moment read on both clocks. */
function offsetFromReceipt(utcStamp: string, localReceipt: string): number | null {
  if (!isoHasZone(utcStamp)) return null;
  const utc = isoToMicros(utcStamp);
  const local = isoToMicros(localReceipt);
  if (utc === null || local === null || isoHasZone(localReceipt)) return null;
  const aheadMs = (local - utc) / 1000;
  return Math.round(aheadMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
}
