/**
 * One Windows (or Sysmon for Linux) event, whatever container it came in: the parts of `<System>` the ASIM
 * parsers look at, the `<EventData>` values by name, and the time that becomes `TimeGenerated`.
 *
 * Container readers (event-xml.ts, nxlog.ts, winlogbeat.ts, log-analytics.ts) build it; the source mappers
 * (sysmon.ts, windows-firewall.ts, linux-sysmon.ts) read it. Keeping this one shape in between is what lets a
 * single input hold Sysmon and Security events side by side (the OTRF datasets do) and still be read by one
 * format that picks a mapper per event (dispatch.ts).
 */
import type { Micros } from '../../asim/record.js';

/**
 * The Log Analytics table an exported event was read from. The ASIM parsers differ per table (which event
 * IDs they select, how EventData is read), so an export keeps its table; raw events have none and are read
 * as the table they land in when collected (see dispatch.ts).
 */
export type WindowsTable = 'Event' | 'WindowsEvent' | 'SecurityEvent' | 'Syslog';

export interface WindowsEvent {
  /** `System/Provider/@Name` (NXLog `SourceName`, Event table `Source`, WindowsEvent `Provider`). */
  readonly provider: string;
  /** Null when the container has none or it is not a number. */
  readonly eventId: number | null;
  readonly channel: string;
  /** `System/Computer` (NXLog `Hostname`, Winlogbeat `winlog.computer_name`). */
  readonly computer: string;
  /** What becomes `TimeGenerated`, or null with `timeProblem` saying why. */
  readonly timeGenerated: Micros | null;
  readonly timeProblem?: { readonly field: string; readonly reason: string };
  /** EventData values by name, as text. */
  readonly data: EventData;
  readonly table?: WindowsTable;
  /** `System/EventRecordID`, when the container carries it. */
  readonly recordId?: string;
  /** `_ResourceId` of an export row, passed through as the parsers do. */
  readonly resourceId?: string;
  /** Syslog `HostIP` (Sysmon for Linux): the parser compares it with SourceIp to tell the direction. */
  readonly hostIp?: string;
}

/**
 * EventData values by name. Names are matched without regard to case, because collectors differ in
 * spelling (NXLog writes 5156's `ProcessID` as `ProcessId`); the first value given for a name wins.
 */
export class EventData {
  private readonly values = new Map<string, string>();

  static of(entries: Iterable<readonly [string, string]>): EventData {
    const data = new EventData();
    for (const [name, value] of entries) data.set(name, value);
    return data;
  }

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    if (!this.values.has(key)) this.values.set(key, value);
  }

  /** The value, or undefined when the event has no such field. */
  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase());
  }

  /** The value, or "" when absent (Kusto's `tostring()` of a missing field). */
  text(name: string): string {
    return this.values.get(name.toLowerCase()) ?? '';
  }

  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }

  get size(): number {
    return this.values.size;
  }
}

export const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
export const LINUX_SYSMON_PROVIDER = 'Linux-Sysmon';
export const SECURITY_AUDITING_PROVIDER = 'Microsoft-Windows-Security-Auditing';
