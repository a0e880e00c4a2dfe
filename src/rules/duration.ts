/**
 * Sentinel rule durations (`queryFrequency`, `queryPeriod`, `suppressionDuration`) → milliseconds.
 *
 * Sentinel's template loader (Azure-Sentinel `.script/tests/detectionTemplateSchemaValidation`,
 * ScheduledTemplateTimeSpanConverter) first tries .NET `TimeSpan.TryParse` (`1.00:00:00`, `05:00`, or a bare
 * whole number of days), then `<whole number><m|h|d>`. Rules exported from a workspace (ARM) carry ISO 8601
 * durations (`PT5H`, `P1D`), so those are accepted too.
 */
const MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

const SHORT_UNITS: Readonly<Record<string, number>> = { m: MS.minute, h: MS.hour, d: MS.day };

/** The text as milliseconds, or undefined when it is not a Sentinel duration. */
export function parseSentinelDuration(text: string): number | undefined {
  const value = text.trim();
  return shortForm(value) ?? dotNetTimeSpan(value) ?? isoDuration(value);
}

function shortForm(value: string): number | undefined {
  const match = /^(\d+)([mhd])$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * SHORT_UNITS[match[2]!]!;
}

/** `d`, `hh:mm`, `hh:mm:ss`, `d.hh:mm[:ss[.fffffff]]` (non-negative only: a rule cannot look back a negative time). */
function dotNetTimeSpan(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * MS.day;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(value);
  if (!match) return undefined;
  const [, days = '0', hours, minutes, seconds = '0', fraction = ''] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return undefined;
  const millis = Math.trunc(Number(`0.${fraction || '0'}`) * 1000);
  return Number(days) * MS.day + Number(hours) * MS.hour + Number(minutes) * MS.minute + Number(seconds) * MS.second + millis;
}

function isoDuration(value: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value);
  if (!match || value.toUpperCase() === 'P' || value.toUpperCase().endsWith('T')) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return Number(days) * MS.day + Number(hours) * MS.hour + Number(minutes) * MS.minute + Math.round(Number(seconds) * MS.second);
}

/** A duration as Sentinel writes it when it is whole: `14d`, `5h`, `30m`; otherwise `1d 2h 3m 4s`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', MS.day], ['h', MS.hour], ['m', MS.minute]] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['d', MS.day], ['h', MS.hour], ['m', MS.minute], ['s', MS.second]] as const) {
    const whole = Math.floor(rest / size);
    if (whole > 0) parts.push(`${whole}${unit}`);
    rest -= whole * size;
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join(' ');
}

export const DURATION_MS = MS;
