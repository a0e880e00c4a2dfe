import { describe, expect, it } from 'vitest';
import { isKnownTimeZone, isoHasZone, zonedWallTimeToMicros } from '../../src/util/time.js';

// Epoch seconds from `date -u -d "<time> UTC" +%s`. A wall time is given as "that time read as UTC".
const S = 1_000_000;
const WALL_2023_07_05_141644 = 1_688_566_604 * S;
const WALL_2023_03_26_0230 = (1_679_790_600 + 2 * 3600) * S; // 2023-03-26 02:30 (Berlin's spring-forward gap)
const WALL_2023_10_29_0230 = (1_698_539_400 + 2 * 3600) * S; // 2023-10-29 02:30 (Berlin's repeated hour)

describe('zonedWallTimeToMicros', () => {
  it('subtracts the zone offset in force (summer and winter time)', () => {
    expect(zonedWallTimeToMicros(WALL_2023_07_05_141644, 'Europe/Berlin')).toBe(WALL_2023_07_05_141644 - 2 * 3600 * S);
    expect(zonedWallTimeToMicros(WALL_2023_07_05_141644, 'America/New_York')).toBe(WALL_2023_07_05_141644 + 4 * 3600 * S);
    expect(zonedWallTimeToMicros(WALL_2023_07_05_141644 + 123, 'Asia/Kolkata')).toBe(WALL_2023_07_05_141644 - 5.5 * 3600 * S + 123);
    expect(zonedWallTimeToMicros(WALL_2023_07_05_141644, 'UTC')).toBe(WALL_2023_07_05_141644);
  });

  it('takes the earlier instant for a repeated hour (02:30 CEST = 00:30 UTC)', () => {
    expect(zonedWallTimeToMicros(WALL_2023_10_29_0230, 'Europe/Berlin')).toBe(1_698_539_400 * S);
  });

  it('reads a wall time in a DST gap with the offset before the gap (02:30 → 01:30 UTC)', () => {
    expect(zonedWallTimeToMicros(WALL_2023_03_26_0230, 'Europe/Berlin')).toBe(1_679_794_200 * S);
  });

  it('throws for an unknown zone', () => {
    expect(() => zonedWallTimeToMicros(WALL_2023_07_05_141644, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('isKnownTimeZone / isoHasZone', () => {
  it('knows IANA zones', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });

  it('tells a zone suffix from a date part', () => {
    expect(isoHasZone('2023-07-05T14:16:44Z')).toBe(true);
    expect(isoHasZone('2023-07-05 14:16:44+02:00')).toBe(true);
    expect(isoHasZone('2023-07-05 14:16:44')).toBe(false);
    expect(isoHasZone('2023-07-05')).toBe(false);
    expect(isoHasZone('7/5/2023, 2:16:44 PM')).toBe(false);
  });
});
