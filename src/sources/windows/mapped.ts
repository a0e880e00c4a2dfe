/**
 * What a per-event mapper returns: an ASIM record, a reason to reject the event, or a note that the event
 * is well-formed but not one the ASIM parsers turn into a network session. Container readers attach the
 * line number and raw text to turn these into `ParseEvent`s.
 */
import type { AsimRecord } from '../../asim/record.js';
import type { ParseEvent } from '../types.js';
import type { WindowsEvent } from './event.js';

export type Mapped =
  | { readonly kind: 'record'; readonly record: AsimRecord }
  | { readonly kind: 'reject'; readonly reason: string; readonly field?: string }
  | { readonly kind: 'ignored'; readonly what: string };

export function rejected(reason: string, field?: string): Mapped {
  return field === undefined ? { kind: 'reject', reason } : { kind: 'reject', reason, field };
}

/** The event's `TimeGenerated`, or the reject that explains why it has none. */
export function timeGeneratedOf(event: WindowsEvent): number | Mapped {
  if (event.timeGenerated !== null) return event.timeGenerated;
  return rejected(event.timeProblem?.reason ?? 'the event has no time', event.timeProblem?.field ?? 'TimeGenerated');
}

/** Longest raw text kept with a reject (the store may shorten it further). */
const RAW_LIMIT = 4096;

export function toParseEvent(mapped: Mapped, line: number, raw: string): ParseEvent {
  switch (mapped.kind) {
    case 'record':
      return { kind: 'record', record: mapped.record, line };
    case 'ignored':
      return { kind: 'ignored', line, what: mapped.what };
    case 'reject':
      return {
        kind: 'reject',
        line,
        reason: mapped.reason,
        raw: raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw,
        ...(mapped.field === undefined ? {} : { field: mapped.field }),
      };
  }
}
