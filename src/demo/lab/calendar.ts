/**
 * A lab's calendar: 28 UTC days, the detectors run at every midnight UTC from the end of day 13 (the first with a
 * full 13-day baseline) to the end of day 27. Office days follow the profile's time zone and weekend; an office day
 * may spill into the neighbouring UTC days.
 */
import type { Micros } from '../../asim/record.js';
import { MICROS_PER_DAY, MICROS_PER_MINUTE } from '../period.js';
import type { LabFamily, LabProfile } from './profile.js';

export const LAB_DAYS = 28;
/** Runs at the end of days FIRST_RUN_DAY … LAB_DAYS − 1: 15 daily runs. */
export const FIRST_RUN_DAY = 13;
/** Days where episodes are planted (a day of margin at the end for office hours that spill past midnight UTC). */
export const FIRST_EPISODE_DAY = 14;
export const LAST_EPISODE_DAY = LAB_DAYS - 2;

const FAMILY_START: Readonly<Record<LabFamily, Micros>> = {
  dev: Date.UTC(2025, 2, 3) * 1000,
  holdout: Date.UTC(2025, 5, 1) * 1000,
};

export class LabCalendar {
  readonly start: Micros;

  constructor(readonly profile: LabProfile) {
    this.start = FAMILY_START[profile.family];
  }

  /** UTC midnight starting day `index`. */
  dayStart(index: number): Micros {
    return this.start + index * MICROS_PER_DAY;
  }

  get end(): Micros {
    return this.dayStart(LAB_DAYS);
  }

  /** The instants the detectors run at: the end of each evaluated day. */
  runTimes(): Micros[] {
    const times: Micros[] = [];
    for (let day = FIRST_RUN_DAY; day < LAB_DAYS; day++) times.push(this.dayStart(day + 1));
    return times;
  }

  /** The UTC day index of an instant. */
  dayOf(ts: Micros): number {
    return Math.floor((ts - this.start) / MICROS_PER_DAY);
  }

  /** The instant of an office wall-clock minute (may run below 0 or past 24 h) on office day `index`. */
  officeTime(index: number, minute: number): Micros {
    return this.dayStart(index) + Math.round((minute - this.profile.utcOffsetMinutes) * MICROS_PER_MINUTE);
  }

  isWorkday(index: number): boolean {
    const weekday = new Date(this.dayStart(index) / 1000).getUTCDay();
    return !this.profile.weekend.includes(weekday);
  }

  weekday(index: number): number {
    return new Date(this.dayStart(index) / 1000).getUTCDay();
  }
}
