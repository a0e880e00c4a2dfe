/**
 * Windows events shipped by Elastic Winlogbeat: event fields under `winlog.event_data`, with
 * `winlog.event_id`, `winlog.provider_name`, `winlog.channel`, `winlog.computer_name`, `winlog.record_id`.
 * TimeGenerated is `@timestamp`, which Winlogbeat sets to the event's creation time (System/TimeCreated).
 */
import { isoToMicros } from '../../util/time.js';
import type { WindowsEvent } from './event.js';
import { eventDataOfObject } from './log-analytics.js';
import type { JsonObject } from './nxlog.js';

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

export function isWinlogbeatEvent(object: JsonObject): boolean {
  const winlog = asObject(object['winlog']);
  return winlog !== undefined && ('event_id' in winlog || 'provider_name' in winlog || 'channel' in winlog);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

export function windowsEventOfWinlogbeat(object: JsonObject): WindowsEvent {
  const winlog = asObject(object['winlog']) ?? {};
  const stamp = text(object['@timestamp']);
  const timeGenerated = isoToMicros(stamp);
  const eventId = text(winlog['event_id']).trim() || text(asObject(object['event'])?.['code']).trim();
  const recordId = text(winlog['record_id']);
  return {
    provider: text(winlog['provider_name']),
    eventId: /^\d+$/.test(eventId) ? Number(eventId) : null,
    channel: text(winlog['channel']),
    computer: text(winlog['computer_name']),
    timeGenerated,
    ...(timeGenerated === null ? { timeProblem: { field: '@timestamp', reason: `not an ISO 8601 time: "${stamp}"` } } : {}),
    data: eventDataOfObject(winlog['event_data']),
    ...(recordId ? { recordId } : {}),
  };
}
