import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asimCsv } from '../../src/sources/asim-csv.js';
import { inputFromBuffer, sampleOfBuffer } from '../../src/sources/input.js';
import type { SourceInput } from '../../src/sources/types.js';
import { brief, collect, fixtureInput, sniffText } from '../asim/collect.js';

// Epoch seconds from `date -u -d "<time> UTC" +%s`, in µs.
const T_141644 = 1_688_566_604_000_000; // 2023-07-05 14:16:44 UTC
const T_121644 = 1_688_559_404_000_000; // 2023-07-05 12:16:44 UTC
const T_2023_03_26_0130 = 1_679_794_200_000_000; // 2023-03-26 01:30 UTC (02:30 in Berlin's DST gap, read as CET)
const S = 1_000_000;

describe('asim-csv: a Log Analytics export in UTC', () => {
  it('types records, keeps quoted commas and newlines, and rejects by first line with reasons', async () => {
    const events = await collect(asimCsv, fixtureInput('la-export-utc.csv'));
    const malformed = events[events.length - 1];
    expect(malformed?.kind === 'reject' && malformed.reason.startsWith('malformed CSV: Quote Not Closed')).toBe(true);
    expect(brief(events)).toEqual([
      {
        kind: 'record',
        line: 2,
        record: {
          TimeGenerated: T_141644 + 756_000,
          Type: 'ASimNetworkSessionLogs',
          _ResourceId: '',
          EventCount: 1,
          EventStartTime: T_141644,
          EventMessage: '',
          EventSchema: 'NetworkSession',
          SrcIpAddr: '10.0.0.5',
          DstIpAddr: '10.0.0.9',
          DstPortNumber: 445,
          SrcBytes: 1200,
          TcpFlagsSyn: true,
          AdditionalFields: '{"share":"ADMIN$"}',
        },
      },
      {
        kind: 'record',
        line: 3,
        record: {
          TimeGenerated: T_141644 + 1 * S,
          Type: 'ASimNetworkSessionLogs',
          _ResourceId: '',
          EventCount: null,
          EventStartTime: null,
          EventMessage: 'copy \\\\fs1\\share, then\nclose',
          EventSchema: 'NetworkSession',
          SrcIpAddr: '10.0.0.6',
          DstIpAddr: '10.0.0.9',
          DstPortNumber: 139,
          SrcBytes: null,
          TcpFlagsSyn: null,
          AdditionalFields: null,
        },
      },
      { kind: 'reject', line: 6, field: 'DstPortNumber', reason: 'DstPortNumber: "smb" is not an int (32-bit)' },
      { kind: 'reject', line: 7, field: 'TimeGenerated', reason: 'TimeGenerated is missing or empty: every record needs its time' },
      { kind: 'reject', line: 8, field: undefined, reason: 'has 3 fields, the header has 15' },
      {
        kind: 'record',
        line: 9,
        record: {
          TimeGenerated: T_141644 + 4 * S + 123_456,
          Type: 'ASimNetworkSessionLogs',
          _ResourceId: '',
          EventCount: 1,
          EventStartTime: null,
          EventMessage: '',
          EventSchema: 'NetworkSession',
          SrcIpAddr: '10.0.0.9',
          DstIpAddr: '10.0.0.10',
          DstPortNumber: 445,
          SrcBytes: null,
          TcpFlagsSyn: false,
          AdditionalFields: '[1,2]',
        },
      },
      {
        kind: 'reject',
        line: 10,
        field: 'TcpFlagsSyn',
        reason: 'TcpFlagsSyn: "yes" is not a bool (true/false/1/0); AdditionalFields: "{bad" is not valid JSON',
      },
      { kind: 'reject', line: 11, field: undefined, reason: malformed?.kind === 'reject' ? malformed.reason : '' },
    ]);
  });

  it('keeps the record text as raw, without the empty line before it', async () => {
    const events = await collect(asimCsv, fixtureInput('la-export-utc.csv'));
    const raws = events.flatMap((event) => (event.kind === 'reject' ? [event.raw] : []));
    expect(raws.slice(0, 3)).toEqual([
      '"7/5/2023, 2:16:46.000 PM",tenant-1,ASimNetworkSessionLogs,,1,,,NetworkSession,"10.0.0.7","10.0.0.9",smb,,,,a3',
      ',tenant-1,ASimNetworkSessionLogs,,1,,,NetworkSession,"10.0.0.8","10.0.0.9",445,,,,a4',
      '"7/5/2023, 2:16:47.000 PM",tenant-1,short',
    ]);
    expect(raws[4]).toBe('"7/5/2023, 2:16:50.000 PM",tenant-1,"unterminated');
  });

  it('gives the same events when the content arrives in small chunks', async () => {
    const whole = await collect(asimCsv, fixtureInput('la-export-utc.csv'));
    const content = readFileSync(fixtureInput('la-export-utc.csv').name);
    const chunked: SourceInput = {
      ...inputFromBuffer('chunked.csv', content),
      bytes: async function* () {
        for (let at = 0; at < content.length; at += 5) yield content.subarray(at, at + 5);
      },
    };
    expect(await collect(asimCsv, chunked)).toEqual(whole);
  });

  it('keeps multi-byte characters split across chunks', async () => {
    const content = Buffer.from('TimeGenerated,SrcIpAddr,SrcUsername\n2023-07-05T14:16:44Z,10.0.0.5,"Jürgen 🦀, Zoë"\n', 'utf8');
    const byteByByte: SourceInput = {
      ...inputFromBuffer('bytes.csv', content),
      bytes: async function* () {
        for (let at = 0; at < content.length; at++) yield content.subarray(at, at + 1);
      },
    };
    expect(brief(await collect(asimCsv, byteByByte))).toEqual([
      { kind: 'record', line: 2, record: { TimeGenerated: T_141644, SrcIpAddr: '10.0.0.5', SrcUsername: 'Jürgen 🦀, Zoë' } },
    ]);
  });

  it('reads CRLF line ends and a byte-order mark, as Windows tools write them', async () => {
    const text = '\ufeffTimeGenerated [UTC],SrcIpAddr,DstPortNumber\r\n"7/5/2023, 2:16:44.756 PM",10.0.0.5,445\r\n2023-07-05T14:16:44Z,10.0.0.6,x\r\n';
    expect(brief(await collect(asimCsv, inputFromBuffer('crlf.csv', text)))).toEqual([
      { kind: 'record', line: 2, record: { TimeGenerated: T_141644 + 756_000, SrcIpAddr: '10.0.0.5', DstPortNumber: 445 } },
      { kind: 'reject', line: 3, field: 'DstPortNumber', reason: 'DstPortNumber: "x" is not an int (32-bit)' },
    ]);
  });
});

describe('asim-csv: [Local Time] exports', () => {
  it('reads local times in the zone given by the timezone option', async () => {
    const events = await collect(asimCsv, fixtureInput('la-export-local.csv'), { timezone: 'Europe/Berlin' });
    expect(brief(events)).toEqual([
      {
        kind: 'record',
        line: 2,
        record: { TimeGenerated: T_121644 + 756_000, SrcIpAddr: '10.0.0.5', DstIpAddr: '10.0.0.9', DstPortNumber: 445, EventEndTime: T_121644 },
      },
      { kind: 'record', line: 3, record: { TimeGenerated: T_2023_03_26_0130, SrcIpAddr: '10.0.0.5', DstIpAddr: '10.0.0.9', DstPortNumber: 445, EventEndTime: null } },
    ]);
  });

  it('rejects local times when no zone is given, saying which option to pass', async () => {
    const events = await collect(asimCsv, fixtureInput('la-export-local.csv'));
    const unknownZone = 'is local time of an unknown zone ([Local Time] column): give the timezone option (e.g. --timezone Europe/Berlin)';
    expect(brief(events)).toEqual([
      {
        kind: 'reject',
        line: 2,
        field: 'TimeGenerated [Local Time]',
        reason: `TimeGenerated [Local Time]: "7/5/2023, 2:16:44.756 PM" ${unknownZone}; EventEndTime [Local Time]: "7/5/2023, 2:16:44.000 PM" ${unknownZone}`,
      },
      { kind: 'reject', line: 3, field: 'TimeGenerated [Local Time]', reason: `TimeGenerated [Local Time]: "3/26/2023, 2:30:00.000 AM" ${unknownZone}` },
    ]);
  });

  it('refuses an unknown zone name before reading', async () => {
    await expect(collect(asimCsv, fixtureInput('la-export-local.csv'), { timezone: 'Europe/Atlantis' })).rejects.toThrow(
      'unknown time zone "Europe/Atlantis"',
    );
  });
});

describe('asim-csv: headers', () => {
  it('refuses a header without TimeGenerated with a clear error', async () => {
    const input = inputFromBuffer('no-time.csv', 'SrcIpAddr,DstIpAddr,DstPortNumber\n10.0.0.5,10.0.0.9,445\n');
    await expect(collect(asimCsv, input)).rejects.toThrow('the CSV header has no TimeGenerated column');
  });

  it('says in its detection reason which columns it ignores', () => {
    const sample = sampleOfBuffer(readFileSync(fixtureInput('la-export-utc.csv').name));
    expect(asimCsv.sniff(sample)).toEqual({
      verdict: 'match',
      reason: 'CSV header with TimeGenerated and 13 of 15 columns ASIM; ignored: TenantId, _ItemId',
    });
  });

  it('sniffs ASIM headers, with or without Log Analytics suffixes, and nothing else', () => {
    expect(sniffText(asimCsv, readFileSync(fixtureInput('la-export-utc.csv').name))).toBe('match');
    expect(sniffText(asimCsv, readFileSync(fixtureInput('la-export-local.csv').name))).toBe('match');
    expect(sniffText(asimCsv, 'TimeGenerated,SrcIpAddr,DstIpAddr,DstPortNumber\n')).toBe('match');
    // Sysmon in the Event table (formats.md §12): TimeGenerated, but hardly any ASIM column.
    expect(sniffText(asimCsv, '"TimeGenerated [UTC]",Source,EventLog,Computer,EventLevel,EventID,RenderedDescription,EventData,Type\n')).toBe('no');
    // nfdump CSV, and an ASIM-like header without a time.
    expect(sniffText(asimCsv, 'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk\n')).toBe('no');
    expect(sniffText(asimCsv, 'SrcIpAddr,DstIpAddr,DstPortNumber,EventCount\n')).toBe('no');
    // Mostly foreign columns with a few ASIM names: not ASIM.
    expect(sniffText(asimCsv, 'TimeGenerated,SrcIpAddr,DstIpAddr,a,b,c,d,e,f,g\n')).toBe('no');
  });
});

describe('asim-csv: --timezone for times written without a zone', () => {
  const text = 'TimeGenerated,EventEndTime [UTC],SrcIpAddr,DstPortNumber\n2023-07-05 14:16:44,2023-07-05 14:16:44,10.0.0.5,445\n"7/5/2023, 2:16:44.000 PM",,10.0.0.6,445\n2023-07-05T14:16:44+00:00,,10.0.0.7,445\n';

  it('reads them in the zone given (not under a [UTC] header, nor when they carry a zone)', async () => {
    expect(brief(await collect(asimCsv, inputFromBuffer('local.csv', text), { timezone: 'Europe/Berlin' }))).toEqual([
      { kind: 'record', line: 2, record: { TimeGenerated: T_121644, EventEndTime: T_141644, SrcIpAddr: '10.0.0.5', DstPortNumber: 445 } },
      { kind: 'record', line: 3, record: { TimeGenerated: T_121644, EventEndTime: null, SrcIpAddr: '10.0.0.6', DstPortNumber: 445 } },
      { kind: 'record', line: 4, record: { TimeGenerated: T_141644, EventEndTime: null, SrcIpAddr: '10.0.0.7', DstPortNumber: 445 } },
    ]);
  });

  it('reads them as UTC without it, as Kusto does', async () => {
    const times = (await collect(asimCsv, inputFromBuffer('local.csv', text))).map((event) => (event.kind === 'record' ? event.record.TimeGenerated : event.kind));
    expect(times).toEqual([T_141644, T_141644, T_141644]);
  });
});
