import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inputFromBuffer, inputFromFile, sampleOfBuffer } from '../../src/sources/input.js';
import type { ParseEvent, SourceInput } from '../../src/sources/types.js';
import { zeekTsvFormat } from '../../src/sources/zeek-tsv.js';
import { zeekJsonFormat } from '../../src/sources/zeek-json.js';
import { formatByName, SOURCE_FORMATS } from '../../src/sources/registry.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/zeek');
const fixture = (name: string) => join(FIXTURES, name);

async function collect(input: SourceInput): Promise<ParseEvent[]> {
  const events: ParseEvent[] = [];
  for await (const batch of zeekTsvFormat.parse(input, {})) events.push(...batch);
  return events;
}

function byLine(events: ParseEvent[]): Map<number, ParseEvent> {
  return new Map(events.map((event) => [event.line, event]));
}

function recordAt(events: ParseEvent[], line: number) {
  const event = byLine(events).get(line);
  if (event?.kind !== 'record') throw new Error(`line ${line}: expected a record, got ${JSON.stringify(event)}`);
  return event.record;
}

/** The columns every Zeek record carries with the same value (EventCount, vendor, schema…). */
const CONSTANTS = {
  Type: 'Corelight_CL',
  EventCount: 1,
  EventType: 'Flow',
  EventProduct: 'Zeek',
  EventVendor: 'Corelight',
  EventSchema: 'NetworkSession',
  EventSchemaVersion: '0.2.4',
};

describe('zeek-tsv: one header block (formats.md §1.1)', () => {
  it('maps every field of a complete conn line', async () => {
    const events = await collect(inputFromFile(fixture('conn-basic.log')));
    // 8 header lines, 3 data lines, #close: the header lines and #close yield no event.
    expect(events.map((event) => [event.line, event.kind])).toEqual([
      [9, 'record'],
      [10, 'record'],
      [11, 'record'],
    ]);
    expect(recordAt(events, 9)).toEqual({
      ...CONSTANTS,
      TimeGenerated: 1709542801123456,
      EventStartTime: 1709542801123456,
      EventEndTime: 1709542801123456, // no _write_ts in TSV
      EventResult: 'Failure',
      EventResultDetails: 'Reset',
      EventOriginalResultDetails: 'Connection established, originator aborted (sent a RST)',
      EventSeverity: 'Low',
      EventOriginalUid: 'CkX3aT2bQe9Lm4Pz1',
      Dvc: '',
      NetworkApplicationProtocol: 'smb,gssapi',
      NetworkProtocol: 'TCP',
      NetworkDirection: 'Local', // T,T
      NetworkDuration: 0, // 0.412331 s → whole seconds, as the parser's int
      NetworkConnectionHistory: 'ShADdaR',
      SrcBytes: 1840,
      DstBytes: 2210,
      NetworkBytes: 4050,
      SrcPackets: 12,
      DstPackets: 10,
      NetworkPackets: 22,
      NetworkSessionId: '',
      SrcVlanId: '',
      DstVlanId: '',
      SrcIpAddr: '10.0.5.21',
      SrcPortNumber: 51234,
      SrcMacAddr: '',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DstMacAddr: '',
      Src: '10.0.5.21',
      Dst: '10.0.1.10',
      IpAddr: '10.0.5.21',
    });
  });

  it('reads unset (-) as null for numbers and "" for strings, and (empty) as ""', async () => {
    const events = await collect(inputFromFile(fixture('conn-basic.log')));
    expect(recordAt(events, 10)).toMatchObject({
      TimeGenerated: 1709542802500000,
      NetworkApplicationProtocol: '', // service -
      NetworkDuration: null,
      SrcBytes: null,
      DstBytes: null,
      NetworkBytes: null,
      SrcPackets: 1,
      DstPackets: 0,
      NetworkPackets: 1,
      EventResult: 'Success',
      EventOriginalResultDetails: 'Connection attempt seen, no reply',
      EventSeverity: 'Informational',
      NetworkDirection: 'Inbound', // F,T
      DstPortNumber: 139,
    });
    expect(recordAt(events, 11)).toMatchObject({
      TimeGenerated: 1709542803000001,
      NetworkProtocol: 'UDP',
      NetworkApplicationProtocol: '', // service (empty)
      NetworkConnectionHistory: '', // history (empty)
      NetworkDuration: 12, // 12.9 truncated
      SrcBytes: 5,
      DstBytes: null,
      NetworkBytes: null, // null + 5 is null, as in Kusto
      EventResult: '', // conn_state XYZ is not in the lookup
      EventResultDetails: '',
      EventSeverity: '',
      NetworkDirection: 'Outbound', // T,F
      SrcIpAddr: '10.0.1.10',
      SrcPortNumber: 445,
      DstIpAddr: '10.0.5.21',
      DstPortNumber: 51236,
    });
  });
});

describe('zeek-tsv: several header blocks, column order, extra columns, directives', () => {
  it('follows each block: reordered and extra columns, a dns block ignored, a | separator with its own markers', async () => {
    const events = await collect(inputFromFile(fixture('conn-multiblock.log')));
    expect(events.map((event) => [event.line, event.kind, event.kind === 'ignored' ? event.what : ''])).toEqual([
      [9, 'record', ''],
      [10, 'record', ''],
      [20, 'ignored', 'dns'],
      [21, 'ignored', 'dns'],
      [31, 'record', ''],
      [32, 'record', ''],
    ]);
    // Block 1: columns in another order, plus Stratosphere-style label/detailedlabel.
    expect(recordAt(events, 9)).toMatchObject({
      EventOriginalUid: 'CBlk1',
      TimeGenerated: 1700000000000000,
      SrcIpAddr: '192.168.1.41',
      SrcPortNumber: 50001,
      DstIpAddr: '192.168.1.4',
      DstPortNumber: 445,
      NetworkProtocol: 'TCP',
      EventResult: 'Success',
      EventResultDetails: 'Terminated',
      NetworkDirection: 'Local',
      SrcBytes: 100,
      DstBytes: 200,
      NetworkBytes: 300,
      SrcPackets: null, // no orig_pkts column in this block
      NetworkPackets: null,
      NetworkApplicationProtocol: '', // no service column
      NetworkDuration: null,
    });
    expect(recordAt(events, 10)).toMatchObject({
      EventOriginalUid: 'CBlk2',
      TimeGenerated: 1700000001250000,
      DstIpAddr: '8.8.8.8',
      DstPortNumber: 53,
      NetworkProtocol: 'UDP',
      EventResult: 'Failure',
      EventResultDetails: 'Timeout',
      NetworkDirection: 'Outbound',
      NetworkBytes: 111,
    });
    // Block 3: #separator \x7c, #unset_field NONE, #empty_field EMPTY; a \x7c escape inside a value.
    expect(recordAt(events, 31)).toMatchObject({
      EventOriginalUid: 'CBlk3',
      TimeGenerated: 1700000004750000,
      SrcIpAddr: '10.1.1.1',
      SrcPortNumber: 60000,
      DstIpAddr: '10.1.1.2',
      DstPortNumber: 139,
      NetworkApplicationProtocol: 'smb|gssapi',
      NetworkConnectionHistory: 'ShAD',
      NetworkDuration: null,
      EventResult: '',
      NetworkDirection: '',
    });
    expect(recordAt(events, 32)).toMatchObject({
      EventOriginalUid: 'CBlk4',
      TimeGenerated: 1700000005000000,
      NetworkApplicationProtocol: '',
      NetworkConnectionHistory: '',
      NetworkDuration: 1,
      DstPortNumber: 445,
    });
  });

  it('takes a block without #path as conn when its #fields are conn fields', async () => {
    const text = '#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n1.5\t10.0.0.1\t1\t10.0.0.2\t445\n';
    const events = await collect(inputFromBuffer('nopath.log', text));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'record', line: 2, record: { TimeGenerated: 1500000, DstPortNumber: 445 } });
  });

  it('rejects a conn line whose address is (empty)', async () => {
    const text = '#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n1.5\t(empty)\t1\t10.0.0.2\t445\n';
    const events = await collect(inputFromBuffer('empty.log', text));
    expect(events).toEqual([
      { kind: 'reject', line: 2, reason: 'id.orig_h is empty', field: 'id.orig_h', raw: '1.5\t(empty)\t1\t10.0.0.2\t445' },
    ]);
  });

  it('rejects every line of a conn block whose #fields lack a required column', async () => {
    const text = '#path\tconn\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\n1.5\t10.0.0.1\t1\t10.0.0.2\n';
    const events = await collect(inputFromBuffer('short.log', text));
    expect(events).toEqual([
      { kind: 'reject', line: 3, reason: 'the #fields header has no id.resp_p column', field: 'id.resp_p', raw: '1.5\t10.0.0.1\t1\t10.0.0.2' },
    ]);
  });
});

describe('zeek-tsv: rejects', () => {
  it('rejects each bad line with a reason, the Zeek field and the line number', async () => {
    const events = await collect(inputFromFile(fixture('conn-rejects.log')));
    const lines = readFileSync(fixture('conn-rejects.log'), 'utf8').split('\n');
    const summary = events.map((event) =>
      event.kind === 'reject' ? [event.line, event.field ?? null, event.reason] : [event.line, event.kind],
    );
    expect(summary).toEqual([
      [1, null, 'data line before any #fields header'],
      [10, 'record'],
      [11, null, 'expected 21 fields (as #fields lists), found 20'],
      [12, 'ts', 'ts: "yesterday" is not a time (epoch seconds or ISO 8601)'],
      [13, 'id.resp_p', 'id.resp_p: "44x" is not a port number (0-65535)'],
      [14, 'orig_bytes', 'orig_bytes: "12a" is not a count (unsigned integer)'],
      [15, 'local_orig', 'local_orig: "X" is not a bool (T or F)'],
      [16, 'ts', 'ts is unset'],
      [17, 'id.orig_p', 'id.orig_p: "70000" is not a port number (0-65535)'],
      [18, null, 'expected 21 fields (as #fields lists), found 22'],
      [19, 'duration', 'duration: "long" is not an interval in seconds'],
    ]);
    for (const event of events) {
      if (event.kind === 'reject') expect(event.raw).toBe(lines[event.line - 1]);
    }
  });
});

describe('zeek-tsv: sniff', () => {
  const sniff = (text: string) => zeekTsvFormat.sniff(sampleOfBuffer(text));

  it('matches conn logs, with or without #path', () => {
    expect(zeekTsvFormat.sniff(sampleOfBuffer(readFileSync(fixture('conn-basic.log'))))).toMatchObject({ verdict: 'match' });
    expect(zeekTsvFormat.sniff(sampleOfBuffer(readFileSync(fixture('conn-multiblock.log'))))).toMatchObject({ verdict: 'match' });
    expect(sniff('\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n')).toMatchObject({ verdict: 'match' });
  });

  it('says not-network-session for other Zeek logs, naming the path', () => {
    const dns = '#separator \\x09\n#set_separator\t,\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\n';
    expect(sniff(dns)).toEqual({ verdict: 'not-network-session', reason: 'Zeek TSV log with #path dns, not conn' });
    const smb = '#separator \\x09\n#path\tsmb_mapping\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tpath\n';
    expect(sniff(smb)).toEqual({ verdict: 'not-network-session', reason: 'Zeek TSV log with #path smb_mapping, not conn' });
    expect(sniff('#fields\tts\tquery\n1.0\texample.org\n')).toMatchObject({ verdict: 'not-network-session' });
  });

  it('does not claim other content', () => {
    expect(sniff('')).toEqual({ verdict: 'no' });
    expect(sniff('{"ts":1.5,"uid":"C1","id.orig_h":"10.0.0.1"}\n')).toEqual({ verdict: 'no' });
    expect(sniff('# a comment\n#separator \\x09\n')).toEqual({ verdict: 'no' });
    expect(sniff('ts,uid,id.orig_h\n')).toEqual({ verdict: 'no' });
  });
});

describe('zeek formats in the registry', () => {
  it('lists zeek-tsv and zeek-json', () => {
    expect(formatByName('zeek-tsv')).toBe(zeekTsvFormat);
    expect(formatByName('zeek-json')).toBe(zeekJsonFormat);
    expect(SOURCE_FORMATS.indexOf(zeekJsonFormat)).toBeGreaterThan(-1);
  });
});
