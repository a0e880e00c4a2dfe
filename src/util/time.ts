/**
 * Timestamp parsing shared by every source. All results are microseconds since the Unix epoch (UTC),
 * or null when the text is not a timestamp of the expected shape. Kusto datetimes have 100 ns ticks; the
 * store keeps microseconds, so a 7th fractional digit is truncated (documented in docs/time.md).
 */
import type { Micros } from '../asim/record.js';

const MICROS_PER_SECOND = 1_000_000;
const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;

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
