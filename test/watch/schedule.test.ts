/**
 * Scheduled times: the grid, catch-up after downtime, the first run, the delay.
 */
import { describe, expect, it } from 'vitest';
import { dueTimes, gridCeil, gridFloor, nextDueTime, scheduleKey } from '../../src/watch/schedule.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const daily = { anchor: new Date(0), frequencyMs: DAY, delayMs: 0 };
const iso = (times: Date[]): string[] => times.map((t) => t.toISOString());

describe('schedule', () => {
  it('catches up every missed daily run after downtime, oldest first, at 00:00 UTC', () => {
    expect(iso(dueTimes(daily, new Date('2024-05-01T00:00:00Z'), new Date('2024-05-04T10:00:00Z')))).toEqual([
      '2024-05-02T00:00:00.000Z',
      '2024-05-03T00:00:00.000Z',
      '2024-05-04T00:00:00.000Z',
    ]);
  });

  it('has nothing due until the next grid time, and it is due exactly at it', () => {
    const last = new Date('2024-05-04T00:00:00Z');
    expect(dueTimes(daily, last, new Date('2024-05-04T23:59:59.999Z'))).toEqual([]);
    expect(iso(dueTimes(daily, last, new Date('2024-05-05T00:00:00Z')))).toEqual(['2024-05-05T00:00:00.000Z']);
    expect(nextDueTime(daily, last, new Date('2024-05-04T10:00:00Z'))?.toISOString()).toBe('2024-05-05T00:00:00.000Z');
  });

  it('starts a rule that never ran at the latest due time, or at the first grid time from `start`', () => {
    expect(iso(dueTimes(daily, undefined, new Date('2024-05-04T10:00:00Z')))).toEqual(['2024-05-04T00:00:00.000Z']);
    const fromStart = { ...daily, start: new Date('2024-05-02T12:00:00Z') };
    expect(iso(dueTimes(fromStart, undefined, new Date('2024-05-04T10:00:00Z')))).toEqual(['2024-05-03T00:00:00.000Z', '2024-05-04T00:00:00.000Z']);
  });

  it('stops at `end`: no run after it, and nothing next once it is passed', () => {
    const bounded = { ...daily, start: new Date('2024-05-01T00:00:00Z'), end: new Date('2024-05-03T12:00:00Z') };
    // Grid times 05-01, 05-02, 05-03 lie in [start, end]; 05-04 is after end.
    expect(iso(dueTimes(bounded, undefined, new Date('2024-05-10T00:00:00Z')))).toEqual([
      '2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z',
    ]);
    expect(dueTimes(bounded, new Date('2024-05-03T00:00:00Z'), new Date('2024-05-10T00:00:00Z'))).toEqual([]);
    expect(nextDueTime(bounded, new Date('2024-05-03T00:00:00Z'), new Date('2024-05-10T00:00:00Z'))).toBeUndefined();
    expect(nextDueTime(bounded, new Date('2024-05-01T00:00:00Z'), new Date('2024-05-01T10:00:00Z'))?.toISOString()).toBe('2024-05-02T00:00:00.000Z');
  });

  it('aligns to a configured anchor and waits the configured delay', () => {
    const grid = { anchor: new Date('2024-01-01T06:00:00Z'), frequencyMs: DAY, delayMs: 10 * 60_000 };
    expect(dueTimes(grid, new Date('2024-05-03T06:00:00Z'), new Date('2024-05-04T06:09:59Z'))).toEqual([]);
    expect(iso(dueTimes(grid, new Date('2024-05-03T06:00:00Z'), new Date('2024-05-04T06:10:00Z')))).toEqual(['2024-05-04T06:00:00.000Z']);
    expect(nextDueTime(grid, new Date('2024-05-04T06:00:00Z'), new Date('2024-05-04T07:00:00Z'))?.toISOString()).toBe('2024-05-05T06:10:00.000Z');
  });

  it('moves a last run that is off the grid (the frequency changed) to the next grid time', () => {
    const hourly = { anchor: new Date(0), frequencyMs: HOUR, delayMs: 0 };
    expect(iso(dueTimes(hourly, new Date('2024-05-04T09:20:00Z'), new Date('2024-05-04T11:30:00Z')))).toEqual([
      '2024-05-04T10:00:00.000Z',
      '2024-05-04T11:00:00.000Z',
    ]);
    expect(gridFloor(hourly, Date.parse('2024-05-04T09:20:00Z'))).toBe(Date.parse('2024-05-04T09:00:00Z'));
    expect(gridCeil(hourly, Date.parse('2024-05-04T09:00:00Z'))).toBe(Date.parse('2024-05-04T09:00:00Z'));
    expect(gridFloor(hourly, Date.parse('1969-12-31T23:30:00Z'))).toBe(Date.parse('1969-12-31T23:00:00Z'));
  });

  it('keys a schedule by rule id and its parameters, independent of their order', () => {
    expect(scheduleKey('r', {})).toBe('r');
    expect(scheduleKey('r', { b: '2', a: '1' })).toBe(scheduleKey('r', { a: '1', b: '2' }));
  });
});
