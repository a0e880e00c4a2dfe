import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochSecondsToMicros } from '../../src/util/time.js';
import {
  emptyConn,
  networkDirection,
  parseBoolText,
  parseEpochText,
  parseInterval,
  parsePort,
  parseUnsigned,
  zeekConnToAsim,
} from '../../src/sources/zeek-mapping.js';

function recordFor(changes: Partial<ReturnType<typeof emptyConn>>) {
  return zeekConnToAsim({ ...emptyConn(), ts: 1_000_000, ...changes });
}

describe('conn_state → EventResult (the parser ResultLookup)', () => {
  // Written out from formats.md / asim-networksession.md §5.2, not from the module's table.
  const expected: Array<[string, string, string]> = [
    ['S0', 'Success', ''],
    ['S1', 'Success', ''],
    ['SF', 'Success', 'Terminated'],
    ['OTH', 'Success', ''],
    ['REJ', 'Failure', 'Rejeced'],
    ['S2', 'Failure', 'Terminated'],
    ['S3', 'Failure', 'Terminated'],
    ['RSTO', 'Failure', 'Reset'],
    ['RSTR', 'Failure', 'Reset'],
    ['RSTOS0', 'Failure', 'Reset'],
    ['RSTRH', 'Failure', 'Reset'],
    ['SH', 'Failure', 'Timeout'],
    ['SHR', 'Failure', 'Timeout'],
    ['', '', ''],
    ['sf', '', ''], // the lookup is case-sensitive
    ['XYZ', '', ''],
  ];
  it.each(expected)('%s → %s / %s', (connState, result, details) => {
    const record = recordFor({ connState });
    expect(record.EventResult).toBe(result);
    expect(record.EventResultDetails).toBe(details);
    expect(record.EventSeverity).toBe(result === '' ? '' : result === 'Success' ? 'Informational' : 'Low');
  });
});

describe('(local_orig, local_resp) → NetworkDirection (the parser NetworkDirectionLookup)', () => {
  const expected: Array<[boolean | null, boolean | null, string]> = [
    [false, true, 'Inbound'],
    [true, false, 'Outbound'],
    [true, true, 'Local'],
    [false, false, 'Local'],
    [null, null, ''],
    [true, null, ''],
    [null, true, ''],
    [false, null, ''],
    [null, false, ''],
  ];
  it.each(expected)('(%s, %s) → "%s"', (localOrig, localResp, direction) => {
    expect(networkDirection(localOrig, localResp)).toBe(direction);
    expect(recordFor({ localOrig, localResp }).NetworkDirection).toBe(direction);
  });
});

describe('derived fields', () => {
  it('sums bytes and packets, null when either side is unset', () => {
    expect(recordFor({ origBytes: 3, respBytes: 4, origPkts: 1, respPkts: 0 })).toMatchObject({ NetworkBytes: 7, NetworkPackets: 1 });
    expect(recordFor({ origBytes: 3, respBytes: null, origPkts: null, respPkts: 2 })).toMatchObject({ NetworkBytes: null, NetworkPackets: null });
  });

  it('keeps duration in whole seconds, truncated', () => {
    expect(recordFor({ duration: 0.999 }).NetworkDuration).toBe(0);
    expect(recordFor({ duration: 315.198701 }).NetworkDuration).toBe(315);
    expect(recordFor({ duration: null }).NetworkDuration).toBeNull();
  });

  it('ends at _write_ts when present, else at ts', () => {
    expect(recordFor({ ts: 5, writeTs: 9 })).toMatchObject({ TimeGenerated: 5, EventStartTime: 5, EventEndTime: 9 });
    expect(recordFor({ ts: 5 })).toMatchObject({ TimeGenerated: 5, EventStartTime: 5, EventEndTime: 5 });
  });

  it('upper-cases proto and keeps service as written', () => {
    expect(recordFor({ proto: 'icmp', service: 'krb,smb,gssapi' })).toMatchObject({ NetworkProtocol: 'ICMP', NetworkApplicationProtocol: 'krb,smb,gssapi' });
  });
});

describe('value parsers', () => {
  it('parseEpochText agrees with epochSecondsToMicros on every epoch text', () => {
    const epochText = fc
      .tuple(fc.integer({ min: 0, max: 99_999_999_999 }), fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }))
      .map(([whole, fraction]) => (fraction === undefined ? String(whole) : `${whole}.${fraction}`));
    fc.assert(fc.property(epochText, (text) => parseEpochText(text) === epochSecondsToMicros(text)));
  });

  it('parseEpochText rejects what is not an epoch', () => {
    for (const text of ['', '.', '1.', '.5', '-1.0', '1e9', '1.2.3', ' 1', '1.0123456789', 'abc', '1,5']) {
      expect(parseEpochText(text), text).toBeNull();
    }
    expect(parseEpochText('1709542801.123456789')).toBe(1709542801123456);
  });

  it('parseUnsigned / parsePort', () => {
    expect(parseUnsigned('0')).toBe(0);
    expect(parseUnsigned('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    for (const text of ['', '-1', '1.0', '1e3', ' 1', '12a', '9007199254740992', '12345678901234567']) {
      expect(parseUnsigned(text), text).toBeNull();
    }
    expect(parsePort('65535')).toBe(65535);
    expect(parsePort('65536')).toBeNull();
  });

  it('parseInterval / parseBoolText', () => {
    expect(parseInterval('0.000001')).toBe(0.000001);
    expect(parseInterval('')).toBeNull();
    expect(parseInterval('long')).toBeNull();
    expect([parseBoolText('T'), parseBoolText('F'), parseBoolText('true'), parseBoolText('false'), parseBoolText('t'), parseBoolText('')]).toEqual([
      true,
      false,
      true,
      false,
      null,
      null,
    ]);
  });
});
