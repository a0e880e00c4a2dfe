/**
 * Kusto timespans ↔ microseconds. Kusto counts 100 ns ticks; smbwatch holds microseconds in both engines (like
 * datetimes), so a sub-microsecond remainder is truncated (docs/kql.md, kusto-semantics.md §15 Q11).
 */
import { MICROS } from './types.js';

const UNITS: ReadonlyArray<[RegExp, number]> = [
  [/^(d|day|days)$/i, MICROS.day],
  [/^(h|hr|hrs|hour|hours)$/i, MICROS.hour],
  [/^(m|min|minute|minutes)$/i, MICROS.minute],
  [/^(s|sec|second|seconds)$/i, MICROS.second],
  [/^(ms|milli|millis|millisecond|milliseconds)$/i, MICROS.millisecond],
  [/^(microsecond|microseconds)$/i, MICROS.microsecond],
  [/^(tick|ticks)$/i, MICROS.tick],
];

/**
 * Parses a timespan literal: `2d`, `1.5h`, `100ms`, `10microsecond`, `1tick`, `time(1.02:03:04.5)`,
 * `timespan(2d)`, `time(3)` (days). Returns undefined when the text is not one; `time(null)` is not handled here.
 */
export function parseTimespan(text: string): number | undefined {
  const trimmed = text.trim();
  const wrapped = /^(?:time|timespan)\(\s*(.*?)\s*\)$/i.exec(trimmed);
  const body = wrapped ? (wrapped[1] ?? '') : trimmed;
  const sign = body.startsWith('-') ? -1 : 1;
  const unsigned = body.replace(/^[+-]/, '');
  const withUnit = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(unsigned);
  if (withUnit) {
    const unit = UNITS.find(([pattern]) => pattern.test(withUnit[2] ?? ''));
    if (!unit) return undefined;
    return sign * Math.trunc(Number(withUnit[1]) * unit[1]);
  }
  if (!wrapped) return undefined;
  if (/^\d+(\.\d+)?$/.test(unsigned)) return sign * Math.trunc(Number(unsigned) * MICROS.day);
  const clock = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(unsigned);
  if (!clock) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = clock;
  const micros =
    Number(days) * MICROS.day + Number(hours) * MICROS.hour + Number(minutes) * MICROS.minute +
    Number(seconds) * MICROS.second + Number((fraction + '000000').slice(0, 6));
  return sign * micros;
}

/** Kusto's text form of a timespan: `[-][d.]hh:mm:ss[.fffffff]` (e.g. `14.00:00:00`, `00:00:00.5000000`). */
export function formatTimespan(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  let rest = Math.abs(micros);
  const days = Math.floor(rest / MICROS.day);
  rest -= days * MICROS.day;
  const hours = Math.floor(rest / MICROS.hour);
  rest -= hours * MICROS.hour;
  const minutes = Math.floor(rest / MICROS.minute);
  rest -= minutes * MICROS.minute;
  const seconds = Math.floor(rest / MICROS.second);
  const fraction = rest - seconds * MICROS.second;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const clock = `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
  return `${sign}${days > 0 ? `${days}.` : ''}${clock}${fraction > 0 ? `.${String(fraction).padStart(6, '0')}0` : ''}`;
}
