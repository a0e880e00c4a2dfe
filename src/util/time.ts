/**
 * Timestamp parsing shared by every source. All results are microseconds since the Unix epoch (UTC),
 * or null when the text is not a timestamp of the expected shape. Kusto datetimes have 100 ns ticks; the
 * store keeps microseconds, so a 7th fractional digit is truncated (documented in docs/time.md).
 */
import type { Micros } from '../asim/record.js';

const MICROS_PER_SECOND = 1_000_000;
const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
const MICROS_PER_DAY = 24 * 60 * MICROS_PER_MINUTE;

/** Epoch seconds with an optional fraction ("1709542801.123456"), as Zeek writes `ts`. Exact to the microsecond. */
export function epochSecondsToMicros(text: string): Micros | null {
  const match = /^(-?)(\d{1,12})(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  const micros = Number(whole) * MICROS_PER_SECOND + Number((fraction + '000000').slice(0, 6));
  return sign === '-' ? -micros : micros;
}

/** Epoch seconds given as a JSON number. Rounded to the nearest microsecond (a double cannot hold more). */
export function epochNumberToMicros(seconds: number): Micros | null {
  if (!Number.isFinite(seconds)) return null;
  return Math.round(seconds * MICROS_PER_SECOND);
}

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * ISO 8601 / RFC 3339 date-times: `2024-03-04T09:00:01.1234567Z`, `2024-03-04 09:00:01.230`, `…+02:00`.
 * Without a zone the text is taken as UTC (Sysmon `UtcTime`, Log Analytics `[UTC]` columns).
 */
export function isoToMicros(text: string): Micros | null {
  const match = ISO_PATTERN.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!isValidCalendar(ms, Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return null;
  const micros = ms * 1000 + Number((fraction + '000000').slice(0, 6));
  return micros - zoneOffsetMinutes(zone) * MICROS_PER_MINUTE;
}

const LOG_ANALYTICS_PATTERN =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*([AaPp][Mm])?$/;

/** Log Analytics export times: `7/5/2023, 2:16:44.756 PM` (month/day/year, 12- or 24-hour clock), taken as UTC. */
export function logAnalyticsToMicros(text: string): Micros | null {
  const match = LOG_ANALYTICS_PATTERN.exec(text.trim());
  if (!match) return null;
  const [, mo, d, y, hText, mi, s = '0', fraction = '', meridiem] = match;
  let hour = Number(hText);
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    const pm = meridiem.toUpperCase() === 'PM';
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(s));
  if (!isValidCalendar(ms, Number(y), Number(mo), Number(d), hour, Number(mi), Number(s))) return null;
  return ms * 1000 + Number((fraction + '000000').slice(0, 6));
}

/** Any timestamp text a source may carry: ISO 8601, Log Analytics export format, or epoch seconds. */
export function anyTimestampToMicros(text: string): Micros | null {
  return isoToMicros(text) ?? logAnalyticsToMicros(text) ?? epochSecondsToMicros(text.trim());
}

export function microsToIso(micros: Micros): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const base = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  return `${base.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

/** Date.UTC silently rolls 2023-02-31 into March; a timestamp that rolls over is not a real timestamp. */
function isValidCalendar(ms: number, y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (!Number.isFinite(ms) || h > 23 || mi > 59 || s > 59) return false;
  const date = new Date(ms);
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Whether ISO 8601 text (as `isoToMicros` accepts it) names its zone (`Z`, `+02:00`): zone-less text needs a rule. */
export function isoHasZone(text: string): boolean {
  const match = ISO_PATTERN.exec(text.trim());
  return match !== null && match[8] !== undefined;
}

/** Whether `zone` is an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A wall-clock time read in an IANA zone, to UTC. `wallMicros` is the wall time as if it were UTC (what
 * `isoToMicros` / `logAnalyticsToMicros` return for zone-less text). In a DST overlap (the hour that occurs
 * twice) the earlier instant is taken; in a DST gap (a wall time that never occurs) the time is read with the
 * offset in force before the gap, so it lands just after it. Throws RangeError for an unknown zone.
 */
export function zonedWallTimeToMicros(wallMicros: Micros, zone: string): Micros {
  const offsetAt = zoneOffsetReader(zone);
  // Zone offsets change at most once within a day around any instant (DST, or a zone's rare redefinition),
  // so the offsets a day before and a day after bracket every offset that can apply to this wall time.
  const offsetBefore = offsetAt(wallMicros - MICROS_PER_DAY);
  const offsets = [offsetBefore, offsetAt(wallMicros), offsetAt(wallMicros + MICROS_PER_DAY)];
  const exact = offsets
    .map((offset) => wallMicros - offset * MICROS_PER_MINUTE)
    .filter((instant) => instant + offsetAt(instant) * MICROS_PER_MINUTE === wallMicros);
  if (exact.length > 0) return Math.min(...exact);
  return wallMicros - offsetBefore * MICROS_PER_MINUTE;
}

/** Offset (minutes east of UTC) of a zone at an instant, via Intl (which knows the zone database). */
function zoneOffsetReader(zone: string): (instant: Micros) => number {
  let reader = zoneOffsetReaders.get(zone);
  if (!reader) {
    reader = makeZoneOffsetReader(zone);
    zoneOffsetReaders.set(zone, reader);
  }
  return reader;
}

/** Building an Intl formatter costs far more than using one: one per zone, kept. */
const zoneOffsetReaders = new Map<string, (instant: Micros) => number>();

function makeZoneOffsetReader(zone: string): (instant: Micros) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (instant) => {
    const ms = Math.floor(instant / 1000);
    const wholeSecondMs = Math.floor(ms / 1000) * 1000;
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(wholeSecondMs))) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const wallMs = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
    return Math.round((wallMs - wholeSecondMs) / 60_000);
  };
}
