/**
 * The demo's calendar: fifteen days of traffic ending at one fixed evaluation instant T.
 *
 * T is fixed (not derived from the clock or the seed) so that every run of the demo, and the rule runner that
 * evaluates it, agree on the windows. With T at midnight UTC after the fifteenth day, the seed rule's windows
 * fall on whole days: day 1 lies before its look-back, days 2–14 are the baseline [T−14d, T−1d], and day 15
 * is the recent window [T−1d, T].
 */
import type { Micros } from '../asim/record.js';
import { microsToIso } from '../util/time.js';

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

/** The evaluation instant T: Wednesday 2025-02-19 00:00:00 UTC, the end of the demo period. */
export const DEMO_EVALUATION_TIME_ISO = '2025-02-19T00:00:00Z';
export const DEMO_EVALUATION_TIME: Micros = Date.UTC(2025, 1, 19) * 1000;

/** Days of traffic before T (Tue 2025-02-04 … Tue 2025-02-18: 11 weekdays, 2 weekends). */
export const DEMO_DAYS = 15;

/**
 * The office's clock: CET, UTC+01:00. February has no daylight-saving change, so a fixed offset is exact.
 * Log files and Zeek timestamps are UTC, as a sensor usually runs.
 */
export const OFFICE_UTC_OFFSET_MINUTES = 60;
export const OFFICE_TIME_ZONE_LABEL = 'CET (UTC+01:00)';

/** The seed rule's windows at T (seed-rule.md §3.2–3.4): both ends included. */
export interface RuleWindows {
  readonly lookBackStart: Micros;
  readonly baselineStart: Micros;
  readonly baselineEnd: Micros;
  readonly recentStart: Micros;
  readonly recentEnd: Micros;
}

export function ruleWindows(now: Micros = DEMO_EVALUATION_TIME): RuleWindows {
  return {
    lookBackStart: now - 14 * MICROS_PER_DAY,
    baselineStart: now - 14 * MICROS_PER_DAY,
    baselineEnd: now - MICROS_PER_DAY,
    recentStart: now - MICROS_PER_DAY,
    recentEnd: now,
  };
}

/** UTC midnight starting day `index` (0-based) of the period. Index DEMO_DAYS is the day after T. */
export function dayStart(index: number): Micros {
  return DEMO_EVALUATION_TIME - (DEMO_DAYS - index) * MICROS_PER_DAY;
}

/** `YYYY-MM-DD` of a UTC instant. */
export function utcDate(micros: Micros): string {
  return microsToIso(micros).slice(0, 10);
}

/** Saturday or Sunday in the office's calendar (the office day and the UTC day share their date here). */
export function isWeekend(dayIndex: number): boolean {
  const weekday = new Date(dayStart(dayIndex) / 1000).getUTCDay();
  return weekday === 0 || weekday === 6;
}

/** The UTC instant of an office wall-clock minute on a day of the period (minutes may run past 24 h). */
export function officeTime(dayIndex: number, officeMinute: number): Micros {
  return dayStart(dayIndex) + Math.round((officeMinute - OFFICE_UTC_OFFSET_MINUTES) * MICROS_PER_MINUTE);
}

/** An ISO text with microseconds, as the manifest and the story print instants. */
export function isoMicros(micros: Micros): string {
  return microsToIso(micros);
}
