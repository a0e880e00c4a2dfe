/**
 * Times as CEF and syslog write them (see cefTimeToMicros), shared by the CEF reader and the vendor mappers.
 */
import type { Micros } from '../../asim/record.js';
import { isoToMicros } from '../../util/time.js';
import { wallTimeToUtc } from './zoned-time.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The year of a timestamp that has none (RFC 3164): the current year, or the previous one when that would put
 * the event more than a day in the future (a December log read in January), as syslog daemons do.
 */
export function inferYear(month: number, day: number, now: Date = new Date()): number {
  const year = now.getUTCFullYear();
  const candidate = Date.UTC(year, month, day);
  return candidate > now.getTime() + 86_400_000 ? year - 1 : year;
}

const MONTH_TIME =
  /^([A-Z][a-z]{2})\s+(\d{1,2})(?:\s+(\d{4}))?\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:\s+(Z|UTC|GMT|[A-Z]{3,5}|[+-]\d{2}:?\d{2}))?$/;

/**
 * CEF and syslog times: epoch milliseconds (`rt=1709542802000`), ISO 8601, or `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]`.
 * A time without a zone is read in `timezone` (default UTC). Unknown zone abbreviations are not guessed: null.
 */
export function cefTimeToMicros(value: string, timezone: string | undefined, now?: Date): Micros | null {
  const text = value.trim();
  if (text === '') return null;
  if (/^\d{12,14}$/.test(text)) return Number(text) * 1000;
  if (/^\d{9,11}(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1_000_000);
  const iso = isoToMicros(text);
  if (iso !== null) return /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? iso : wallTimeToUtc(iso, timezone);
  const match = MONTH_TIME.exec(text);
  if (!match) return null;
  const [, monthName = '', dayText = '', yearText, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const month = MONTHS.indexOf(monthName);
  if (month === -1) return null;
  const day = Number(dayText);
  const year = yearText ? Number(yearText) : inferYear(month, day, now);
  const pad = (n: number | string, width = 2): string => String(n).padStart(width, '0');
  const asIso = `${pad(year, 4)}-${pad(month + 1)}-${pad(day)}T${pad(h)}:${mi}:${s}${fraction ? `.${fraction}` : ''}`;
  const wall = isoToMicros(asIso);
  if (wall === null) return null;
  if (zone === undefined) return wallTimeToUtc(wall, timezone);
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') return wall;
  if (/^[+-]/.test(zone)) return isoToMicros(asIso + zone);
  return null;
}

/** A time read the way Kusto's `extract(..., typeof(datetime))` reads one: null when empty or not a time. */
export function cefTimeToMicrosLoose(value: string, timezone: string | undefined): Micros | null {
  return value.trim() === '' ? null : cefTimeToMicros(value, timezone);
}
