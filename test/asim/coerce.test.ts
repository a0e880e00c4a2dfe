import { describe, expect, it } from 'vitest';
import {
  bindColumn,
  coerceJsonObject,
  coerceRecord,
  coerceValue,
  Instant,
  planColumns,
  toKustoString,
  UTC_CLOCK,
  type Clock,
} from '../../src/asim/coerce.js';

// Epoch seconds computed with `date -u -d "<time> UTC" +%s`, independent of the code under test.
const T_2023_07_05_141644 = 1_688_566_604; // 2023-07-05 14:16:44 UTC
const T_2023_07_05_121644 = 1_688_559_404; // 2023-07-05 12:16:44 UTC
const T_2023_07_05_021644 = 1_688_523_404; // 2023-07-05 02:16:44 UTC

function value(column: string, raw: unknown, clock: Clock = UTC_CLOCK): unknown {
  const type = bindColumn(column, undefined)?.type;
  if (!type) throw new Error(`not an ASIM column: ${column}`);
  const result = coerceValue(column, type, raw, clock);
  return result.ok ? result.value : { reject: result.reason };
}

function reason(column: string, raw: unknown, clock: Clock = UTC_CLOCK): string {
  const result = value(column, raw, clock);
  if (typeof result !== 'object' || result === null || !('reject' in result)) throw new Error(`expected a reject, got ${String(result)}`);
  return (result as { reject: string }).reject;
}

describe('string columns (Kusto tostring)', () => {
  it('keeps text, prints numbers and booleans, writes objects as JSON, null as ""', () => {
    expect(value('SrcIpAddr', '10.0.0.1')).toBe('10.0.0.1');
    expect(value('SrcIpAddr', '  spaced  ')).toBe('  spaced  ');
    expect(value('DstVlanId', 42)).toBe('42');
    expect(value('DstVlanId', 1.5)).toBe('1.5');
    expect(value('DstVlanId', 12n)).toBe('12');
    expect(value('EventMessage', true)).toBe('true');
    expect(value('EventMessage', false)).toBe('false');
    expect(value('EventMessage', { a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(value('EventMessage', null)).toBe('');
    expect(value('EventMessage', undefined)).toBe('');
    expect(toKustoString(new Instant(T_2023_07_05_141644 * 1e6 + 756_123))).toBe('2023-07-05T14:16:44.756123Z');
  });
});

describe('int columns', () => {
  it('reads numbers and integer text, including ports written as strings', () => {
    expect(value('DstPortNumber', 445)).toBe(445);
    expect(value('DstPortNumber', '445')).toBe(445);
    expect(value('DstPortNumber', ' +445 ')).toBe(445);
    expect(value('DstPortNumber', '0445')).toBe(445);
    expect(value('NetworkIcmpCode', '-3')).toBe(-3);
    expect(value('DstPortNumber', 445n)).toBe(445);
  });

  it('accepts a zero fraction ("445.0", as float-typed exporters write ports) but no other fraction', () => {
    expect(value('DstPortNumber', '445.0')).toBe(445);
    expect(value('DstPortNumber', '445.')).toBe(445);
    expect(reason('DstPortNumber', '445.5')).toBe('DstPortNumber: "445.5" is not an int (32-bit)');
    expect(reason('DstPortNumber', 445.5)).toBe('DstPortNumber: 445.5 is not an int (32-bit): it has a fraction');
    expect(reason('DstPortNumber', '4.45e2')).toBe('DstPortNumber: "4.45e2" is not an int (32-bit)');
  });

  it('checks the 32-bit range', () => {
    expect(value('EventCount', 2147483647)).toBe(2147483647);
    expect(value('EventCount', '-2147483648')).toBe(-2147483648);
    expect(reason('EventCount', 2147483648)).toBe('EventCount: 2147483648 is out of range for an int (32-bit)');
    expect(reason('EventCount', '-2147483649')).toBe('EventCount: "-2147483649" is out of range for an int (32-bit)');
  });

  it('treats empty text as no value and refuses booleans and words', () => {
    expect(value('DstPortNumber', '')).toBe(null);
    expect(value('DstPortNumber', '  ')).toBe(null);
    expect(value('DstPortNumber', null)).toBe(null);
    expect(reason('DstPortNumber', true)).toBe('DstPortNumber: true is not an int (32-bit)');
    expect(reason('DstPortNumber', 'smb')).toBe('DstPortNumber: "smb" is not an int (32-bit)');
    expect(reason('DstPortNumber', [445])).toBe('DstPortNumber: [445] is not an int (32-bit)');
  });
});

describe('long columns', () => {
  it('reads integers up to 2^53-1 exactly and refuses larger ones', () => {
    expect(value('SrcBytes', '9007199254740991')).toBe(9_007_199_254_740_991);
    expect(value('SrcBytes', 5_000_000_000)).toBe(5_000_000_000);
    expect(value('SrcBytes', 9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(reason('SrcBytes', '9007199254740993')).toBe('SrcBytes: "9007199254740993" is out of range for a long within ±(2^53-1)');
    expect(reason('SrcBytes', 9_007_199_254_740_992n)).toBe('SrcBytes: 9007199254740992 is out of range for a long within ±(2^53-1)');
    expect(reason('SrcBytes', 'lots')).toBe('SrcBytes: "lots" is not a long within ±(2^53-1)');
  });
});

describe('real columns', () => {
  it('reads numbers, numeric text and the specials', () => {
    expect(value('DstGeoLatitude', 47.5)).toBe(47.5);
    expect(value('DstGeoLatitude', '-47.25')).toBe(-47.25);
    expect(value('DstGeoLatitude', '1e3')).toBe(1000);
    expect(value('DstGeoLatitude', '.5')).toBe(0.5);
    expect(value('DstGeoLatitude', 'NaN')).toBeNaN();
    expect(value('DstGeoLatitude', '-inf')).toBe(-Infinity);
    expect(value('DstGeoLatitude', 'Infinity')).toBe(Infinity);
    expect(reason('DstGeoLatitude', '47,5')).toBe('DstGeoLatitude: "47,5" is not a real');
    expect(reason('DstGeoLatitude', false)).toBe('DstGeoLatitude: false is not a real');
  });
});

describe('bool columns (Kusto tobool)', () => {
  it('reads true/false in any case, 1/0 text, and numbers (0 false, other true)', () => {
    expect(value('TcpFlagsSyn', true)).toBe(true);
    expect(value('TcpFlagsSyn', 'True')).toBe(true);
    expect(value('TcpFlagsSyn', 'FALSE')).toBe(false);
    expect(value('TcpFlagsSyn', 'false')).toBe(false);
    expect(value('TcpFlagsSyn', '1')).toBe(true);
    expect(value('TcpFlagsSyn', '0')).toBe(false);
    expect(value('TcpFlagsSyn', 0)).toBe(false);
    expect(value('TcpFlagsSyn', 123)).toBe(true);
    expect(value('TcpFlagsSyn', '')).toBe(null);
  });

  it('refuses other words', () => {
    expect(reason('TcpFlagsSyn', 'yes')).toBe('TcpFlagsSyn: "yes" is not a bool (true/false/1/0)');
    expect(reason('TcpFlagsSyn', '2')).toBe('TcpFlagsSyn: "2" is not a bool (true/false/1/0)');
    expect(reason('ThreatIsActive', {})).toBe('ThreatIsActive: {} is not a bool');
  });
});

describe('datetime columns', () => {
  const at = (seconds: number, micros = 0): number => seconds * 1_000_000 + micros;

  it('reads ISO 8601 with Z, truncating a 7th fractional digit to microseconds', () => {
    expect(value('TimeGenerated', '2023-07-05T14:16:44Z')).toBe(at(T_2023_07_05_141644));
    expect(value('TimeGenerated', '2023-07-05T14:16:44.7561239Z')).toBe(at(T_2023_07_05_141644, 756_123));
    expect(value('TimeGenerated', '2023-07-05T14:16:44.5Z')).toBe(at(T_2023_07_05_141644, 500_000));
  });

  it('applies offsets', () => {
    expect(value('TimeGenerated', '2023-07-05T14:16:44+02:00')).toBe(at(T_2023_07_05_121644));
    expect(value('TimeGenerated', '2023-07-05T14:16:44.25-0330')).toBe(at(T_2023_07_05_141644 + 3.5 * 3600, 250_000));
  });

  it('reads zone-less ISO and the Log Analytics form as UTC in UTC columns', () => {
    expect(value('TimeGenerated', '2023-07-05 14:16:44.756')).toBe(at(T_2023_07_05_141644, 756_000));
    expect(value('TimeGenerated', '7/5/2023, 2:16:44.756 PM')).toBe(at(T_2023_07_05_141644, 756_000));
    expect(value('TimeGenerated', '7/5/2023, 2:16:44.756 AM')).toBe(at(T_2023_07_05_021644, 756_000));
    expect(value('EventStartTime', '7/5/2023, 12:00:00.000 AM')).toBe(at(T_2023_07_05_141644 - 14 * 3600 - 16 * 60 - 44));
  });

  it('reads local wall times in the given zone, keeps explicit zones, and refuses local times without a zone', () => {
    const berlin: Clock = { kind: 'local', zone: 'Europe/Berlin' }; // CEST, UTC+2, in July
    expect(value('TimeGenerated', '7/5/2023, 2:16:44.756 PM', berlin)).toBe(at(T_2023_07_05_121644, 756_000));
    expect(value('TimeGenerated', '2023-07-05 14:16:44', berlin)).toBe(at(T_2023_07_05_121644));
    expect(value('TimeGenerated', '2023-07-05T14:16:44Z', berlin)).toBe(at(T_2023_07_05_141644));
    expect(reason('TimeGenerated', '7/5/2023, 2:16:44.756 PM', { kind: 'local', zone: undefined })).toBe(
      'TimeGenerated: "7/5/2023, 2:16:44.756 PM" is local time of an unknown zone ([Local Time] column): give the timezone option (e.g. --timezone Europe/Berlin)',
    );
  });

  it('refuses epoch numbers (ambiguous unit), impossible dates and other text', () => {
    const epoch = 'is a number, not a datetime: epoch units are ambiguous, write ISO 8601 (2023-07-05T14:16:44Z)';
    expect(reason('TimeGenerated', 1688566604)).toBe(`TimeGenerated: 1688566604 ${epoch}`);
    expect(reason('TimeGenerated', '1688566604.5')).toBe(`TimeGenerated: "1688566604.5" ${epoch}`);
    expect(reason('TimeGenerated', '2023-02-31T00:00:00Z')).toBe(
      'TimeGenerated: "2023-02-31T00:00:00Z" is not a datetime (ISO 8601 or 7/5/2023, 2:16:44.756 PM)',
    );
    expect(reason('TimeGenerated', 'yesterday')).toBe('TimeGenerated: "yesterday" is not a datetime (ISO 8601 or 7/5/2023, 2:16:44.756 PM)');
  });

  it('takes typed instants as they are, within the exactly representable range', () => {
    expect(value('TimeGenerated', new Instant(at(T_2023_07_05_141644, 1)))).toBe(at(T_2023_07_05_141644, 1));
    expect(reason('TimeGenerated', new Instant(2 ** 60))).toBe(
      `TimeGenerated: ${2 ** 60} µs is outside the datetime range held exactly in microseconds (about years 1685 to 2255)`,
    );
  });
});

describe('dynamic columns', () => {
  it('validates JSON text and keeps it; serialises structured values', () => {
    expect(value('AdditionalFields', ' {"a": 1} ')).toBe('{"a": 1}');
    expect(value('AdditionalFields', '[1,2]')).toBe('[1,2]');
    expect(value('AdditionalFields', { a: 1, b: [true, null] })).toBe('{"a":1,"b":[true,null]}');
    expect(value('AdditionalFields', 7)).toBe('7');
    expect(value('AdditionalFields', '')).toBe(null);
    expect(reason('AdditionalFields', '{"a": 1')).toBe('AdditionalFields: "{\\"a\\": 1" is not valid JSON');
    expect(reason('AdditionalFields', 'plain words')).toBe('AdditionalFields: "plain words" is not valid JSON');
  });
});

describe('columns', () => {
  it('strips Log Analytics clock suffixes and ignores non-ASIM columns', () => {
    const plan = planColumns(['TimeGenerated [Local Time]', 'TenantId', 'SrcIpAddr', '_ItemId', 'DstPortNumber'], 'UTC');
    expect(plan.bindings.map((binding) => binding?.column)).toEqual(['TimeGenerated', undefined, 'SrcIpAddr', undefined, 'DstPortNumber']);
    expect(plan.bindings[0]?.clock).toEqual({ kind: 'local', zone: 'UTC' });
    // A plain column reads zone-less times in the zone given too (--timezone); without one, as UTC.
    expect(plan.bindings[2]?.clock).toEqual({ kind: 'local', zone: 'UTC' });
    expect(planColumns(['SrcIpAddr', 'TimeGenerated [UTC]'], 'Europe/Berlin').bindings.map((binding) => binding?.clock)).toEqual([{ kind: 'local', zone: 'Europe/Berlin' }, { kind: 'utc' }]);
    expect(planColumns(['SrcIpAddr'], undefined).bindings[0]?.clock).toEqual({ kind: 'utc' });
    expect(plan.ignored).toEqual(['TenantId', '_ItemId']);
  });

  it('prefers the [UTC] copy of a column exported twice, else the first', () => {
    const plan = planColumns(['TimeGenerated [Local Time]', 'TimeGenerated [UTC]', 'SrcIpAddr', 'SrcIpAddr'], undefined);
    expect(plan.bindings.map((binding) => binding?.source)).toEqual([undefined, 'TimeGenerated [UTC]', 'SrcIpAddr', undefined]);
    expect(plan.ignored).toEqual(['TimeGenerated [Local Time]', 'SrcIpAddr']);
  });

  it('is case-sensitive, as Kusto column names are', () => {
    expect(bindColumn('timegenerated', undefined)).toBeUndefined();
    expect(bindColumn('DstPortNumber', undefined)?.type).toBe('int');
  });
});

describe('records', () => {
  it('types every known field and ignores the others', () => {
    const outcome = coerceJsonObject({
      TimeGenerated: '2023-07-05T14:16:44.756Z',
      SrcIpAddr: '10.0.0.5',
      DstPortNumber: '445',
      TcpFlagsSyn: 'True',
      TenantId: 'c0ffee',
      _ItemId: 'x',
    });
    expect(outcome).toEqual({
      ok: true,
      record: { TimeGenerated: T_2023_07_05_141644 * 1e6 + 756_000, SrcIpAddr: '10.0.0.5', DstPortNumber: 445, TcpFlagsSyn: true },
    });
  });

  it('names every failing field, the first as the field', () => {
    const outcome = coerceJsonObject({ TimeGenerated: '2023-07-05T14:16:44Z', DstPortNumber: 'smb', TcpFlagsSyn: 'yes' });
    expect(outcome).toEqual({
      ok: false,
      field: 'DstPortNumber',
      reason: 'DstPortNumber: "smb" is not an int (32-bit); TcpFlagsSyn: "yes" is not a bool (true/false/1/0)',
    });
  });

  it('refuses a record without TimeGenerated, or with an empty one', () => {
    const missing = { ok: false, field: 'TimeGenerated', reason: 'TimeGenerated is missing or empty: every record needs its time' };
    expect(coerceJsonObject({ SrcIpAddr: '10.0.0.5' })).toEqual(missing);
    expect(coerceJsonObject({ TimeGenerated: '', SrcIpAddr: '10.0.0.5' })).toEqual(missing);
    expect(coerceJsonObject({ TimeGenerated: null })).toEqual(missing);
    const binding = bindColumn('TimeGenerated [UTC]', undefined);
    if (!binding) throw new Error('TimeGenerated [UTC] must bind');
    expect(coerceRecord([[binding, '7/5/2023, 2:16:44.756 PM']])).toEqual({
      ok: true,
      record: { TimeGenerated: T_2023_07_05_141644 * 1e6 + 756_000 },
    });
  });
});
