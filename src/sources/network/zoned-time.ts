/**
 * Wall-clock times without a zone (nfdump, syslog RFC 3164 headers, `[Local Time]` exports) converted to UTC
 * in an IANA time zone, with Intl (no time-zone database of our own).
 */
import type { Micros } from '../../asim/record.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Throws a RangeError naming the zone when it is not a valid IANA zone. */
export function assertTimeZone(zone: string): void {
  try {
    formatterFor(zone);
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(zone)} (expected an IANA name such as Europe/Paris)`);
  }
}

/** The zone's offset from UTC (ms) at a UTC instant. */
function offsetAt(utcMs: number, zone: string): number {
  const parts = formatterFor(zone).formatToParts(new Date(utcMs));
  const get = (type: string): number => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Wall-clock time (given as the microseconds it would be if it were UTC) in `zone` → true UTC microseconds.
 * In a DST gap the time is shifted forward; in a repeated hour the first (earlier) instant is chosen.
 */
export function wallTimeToUtc(wallMicros: Micros, zone: string | undefined): Micros {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return wallMicros;
  const wallMs = Math.floor(wallMicros / 1000);
  // The offsets in force half a day either side; a wall time is valid under an offset that holds at its instant.
  const before = offsetAt(wallMs - HALF_DAY_MS, zone);
  const after = offsetAt(wallMs + HALF_DAY_MS, zone);
  const valid = [wallMs - before, wallMs - after].filter((utc, index) => offsetAt(utc, zone) === (index === 0 ? before : after));
  // Repeated hour: the earlier instant. Gap: none is valid; the pre-transition offset moves the time forward.
  const utcMs = valid.length > 0 ? Math.min(...valid) : wallMs - before;
  return wallMicros + (utcMs - wallMs) * 1000;
}

const HALF_DAY_MS = 12 * 3600 * 1000;
