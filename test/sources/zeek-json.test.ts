import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inputFromBuffer, inputFromFile, sampleOfBuffer } from '../../src/sources/input.js';
import type { ParseEvent, SourceInput } from '../../src/sources/types.js';
import { zeekJsonFormat } from '../../src/sources/zeek-json.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/zeek');
const fixture = (name: string) => join(FIXTURES, name);

async function collect(input: SourceInput): Promise<ParseEvent[]> {
  const events: ParseEvent[] = [];
  for await (const batch of zeekJsonFormat.parse(input, {})) events.push(...batch);
  return events;
}

function recordAt(events: ParseEvent[], line: number) {
  const event = events.find((candidate) => candidate.line === line);
  if (event?.kind !== 'record') throw new Error(`line ${line}: expected a record, got ${JSON.stringify(event)}`);
  return event.record;
}

describe('zeek-json: Zeek JSON writer, dotted keys, epoch ts', () => {
  it('maps every field, including bool directions from JSON true/false', async () => {
    const events = await collect(inputFromFile(fixture('conn-dotted.json')));
    expect(events.map((event) => event.kind)).toEqual(['record', 'record', 'record']);
    expect(recordAt(events, 1)).toEqual({
      Type: 'Corelight_CL',
      EventCount: 1,
      EventType: 'Flow',
      EventProduct: 'Zeek',
      EventVendor: 'Corelight',
      EventSchema: 'NetworkSession',
      EventSchemaVersion: '0.2.4',
      TimeGenerated: 1709542801123456,
      EventStartTime: 1709542801123456,
      EventEndTime: 1709542801123456,
      EventResult: 'Failure',
      EventResultDetails: 'Reset',
      EventOriginalResultDetails: 'Connection established, originator aborted (sent a RST)',
      EventSeverity: 'Low',
      EventOriginalUid: 'CkX3aT2bQe9Lm4Pz1',
      Dvc: '',
      NetworkApplicationProtocol: 'smb,gssapi',
      NetworkProtocol: 'TCP',
      NetworkDirection: 'Inbound', // false, true
      NetworkDuration: 1, // 1.9 s
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

  it('treats omitted and null fields as unset; reads ts given as a string, vlan numbers, community_id, l2 addresses', async () => {
    const events = await collect(inputFromFile(fixture('conn-dotted.json')));
    expect(recordAt(events, 2)).toMatchObject({
      TimeGenerated: 1709542802500000,
      NetworkApplicationProtocol: '',
      NetworkDuration: null,
      SrcBytes: null,
      NetworkBytes: null,
      NetworkDirection: '', // local_orig/local_resp omitted: no lookup row matches
      EventResult: 'Success',
      SrcPackets: 1,
      DstPackets: 0,
      NetworkPackets: 1,
    });
    expect(recordAt(events, 3)).toMatchObject({
      TimeGenerated: 1709542803000001,
      SrcIpAddr: 'fe80::1',
      DstIpAddr: 'ff02::fb',
      NetworkProtocol: 'UDP',
      NetworkApplicationProtocol: '',
      NetworkDuration: null,
      NetworkBytes: null,
      NetworkDirection: '',
      NetworkSessionId: '1:abc=',
      DstVlanId: '10',
      SrcVlanId: '20',
      SrcMacAddr: '00:0d:3a:13:e3:69',
      DstMacAddr: '12:34:56:78:9a:bc',
    });
  });
});

describe('zeek-json: ts precision', () => {
  it('truncates a JSON-number ts with more digits than a double holds exactly as its text says', async () => {
    // 1588207484.7373419 as a double prints as 1588207484.737342; the text truncates to …737341 µs (as TSV would).
    const ids = '"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":445';
    const lines = [
      `{"ts":1588207484.7373419,"uid":"C1",${ids}}`,
      `{"nested":{"ts":5},"ts": 1588207484.7373419,"uid":"C2",${ids}}`, // another "ts": first: its number differs
      `{"ts":1.5e9,"uid":"C3",${ids}}`,
    ];
    const events = await collect(inputFromBuffer('p.json', lines.join('\n')));
    expect(events.map((event) => (event.kind === 'record' ? event.record.TimeGenerated : event))).toEqual([
      1588207484737341,
      1588207484737342, // fell back to the double, rounded
      1500000000000000, // exponent form: no exact text shortcut, the double is exact here
    ]);
  });
});

describe('zeek-json: json-streaming-logs (_path, _write_ts, ISO ts, _system_name)', () => {
  it('takes conn and conn_red, ignores other paths, uses _write_ts as the end time', async () => {
    const events = await collect(inputFromFile(fixture('conn-streaming.json')));
    expect(events.map((event) => [event.line, event.kind, event.kind === 'ignored' ? event.what : ''])).toEqual([
      [1, 'record', ''],
      [2, 'ignored', 'dns'],
      [3, 'record', ''],
    ]);
    expect(recordAt(events, 1)).toMatchObject({
      TimeGenerated: 1709542801123456, // 2024-03-04T09:00:01.123456Z
      EventStartTime: 1709542801123456,
      EventEndTime: 1709542802001000, // _write_ts 2024-03-04T09:00:02.001Z
      Dvc: 'sensor-a',
      NetworkApplicationProtocol: 'smb,gssapi', // a JSON array (set) joined as Zeek's TSV writes it
      EventResult: 'Success',
      NetworkDirection: 'Outbound',
      NetworkBytes: 30,
      NetworkPackets: 7,
    });
    expect(recordAt(events, 3)).toMatchObject({
      EventOriginalUid: 'CRed1',
      TimeGenerated: 1709542804500000,
      EventEndTime: 1709542805000000,
      Dvc: 'sensor-b',
      EventResult: 'Failure',
      EventResultDetails: 'Rejeced', // sic, as the parser's lookup spells it
      DstPortNumber: 445,
    });
  });
});

describe('zeek-json: SIEM-flattened (underscore keys, @stream, @system)', () => {
  it('reads underscore keys and takes @system as Dvc', async () => {
    const events = await collect(inputFromFile(fixture('conn-flattened.json')));
    expect(events).toHaveLength(1);
    expect(recordAt(events, 1)).toMatchObject({
      TimeGenerated: 1588205199827696,
      EventOriginalUid: 'CJ21Le4zsTUcyKKi98',
      Dvc: 'bobs.bigwheel.local',
      SrcIpAddr: '10.0.1.6',
      SrcPortNumber: 56880,
      DstIpAddr: '10.0.0.4',
      DstPortNumber: 445,
      NetworkApplicationProtocol: 'gssapi,smb,krb',
      NetworkDuration: 10,
      NetworkBytes: 5701,
      NetworkPackets: 23,
      EventResult: 'Failure',
      NetworkDirection: '',
      SrcMacAddr: '00:0d:3a:13:e3:69',
    });
  });

  it('demultiplexes a mixed stream: conn records read, others ignored under their stream name, blank lines skipped', async () => {
    const events = await collect(inputFromFile(fixture('mixed-stream.json')));
    expect(events.map((event) => [event.line, event.kind, event.kind === 'ignored' ? event.what : ''])).toEqual([
      [1, 'ignored', 'dns'],
      [2, 'ignored', 'kerberos'],
      [4, 'record', ''],
      [5, 'ignored', 'smb_mapping'],
      [6, 'record', ''],
    ]);
    expect(recordAt(events, 4)).toMatchObject({ EventOriginalUid: 'CConn1', TimeGenerated: 1588205102250000, DstPortNumber: 445, NetworkBytes: 3 });
    expect(recordAt(events, 6)).toMatchObject({ EventOriginalUid: 'CConn2', DstIpAddr: '10.0.0.5', DstPortNumber: 139 });
  });
});

describe('zeek-json: rejects', () => {
  it('rejects each bad line with a reason, the field as written and the line number', async () => {
    const events = await collect(inputFromFile(fixture('conn-rejects.json')));
    const lines = readFileSync(fixture('conn-rejects.json'), 'utf8').split('\n');
    const summary = events.map((event) =>
      event.kind === 'reject' ? [event.line, event.field ?? null, event.reason] : [event.line, event.kind],
    );
    expect(summary.slice(0, 1)).toEqual([[1, 'record']]);
    expect(summary[1]).toEqual([2, null, expect.stringMatching(/^not valid JSON: /)]);
    expect(summary.slice(2)).toEqual([
      [3, null, 'not a JSON object'],
      [4, 'ts', 'ts: "yesterday" is not a time (epoch seconds or ISO 8601)'],
      [5, 'id.resp_p', 'id.resp_p: "smb" is not a port number (0-65535)'],
      [6, 'local_orig', 'local_orig: "maybe" is not a bool (T or F)'],
      [7, 'id.resp_h', 'missing id.resp_h'],
      [8, 'orig_bytes', 'orig_bytes: -1 is not a count (unsigned integer)'],
      [9, 'ts', 'missing ts'],
    ]);
    for (const event of events) {
      if (event.kind === 'reject') expect(event.raw).toBe(lines[event.line - 1]);
    }
  });

  it('names the field as the line spells it (underscore dialect)', async () => {
    const line = '{"@stream":"conn","ts":1.0,"uid":"C1","id_orig_h":"10.0.0.1","id_orig_p":1,"id_resp_h":"10.0.0.2","id_resp_p":"x"}';
    const events = await collect(inputFromBuffer('u.json', line));
    expect(events).toEqual([
      { kind: 'reject', line: 1, field: 'id_resp_p', reason: 'id_resp_p: "x" is not a port number (0-65535)', raw: line },
    ]);
  });
});

describe('zeek-json: sniff', () => {
  const sniffFile = (name: string) => zeekJsonFormat.sniff(sampleOfBuffer(readFileSync(fixture(name))));
  const sniff = (text: string) => zeekJsonFormat.sniff(sampleOfBuffer(text));

  it('matches each dialect and a mixed stream whose first conn record comes later', () => {
    expect(sniffFile('conn-dotted.json')).toEqual({ verdict: 'match', reason: 'Zeek JSON conn records (dotted keys)' });
    expect(sniffFile('conn-streaming.json')).toEqual({ verdict: 'match', reason: 'Zeek JSON conn records (dotted keys, _path)' });
    expect(sniffFile('conn-flattened.json')).toEqual({ verdict: 'match', reason: 'Zeek JSON conn records (underscore keys, @stream)' });
    expect(sniffFile('mixed-stream.json')).toEqual({ verdict: 'match', reason: 'Zeek JSON conn records (underscore keys, @stream)' });
  });

  it('says not-network-session only for content that is clearly Zeek', () => {
    const dnsPath = '{"_path":"dns","ts":"2024-03-04T09:00:02Z","uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"10.0.0.2","id.resp_p":53,"query":"a"}\n';
    expect(sniff(dnsPath)).toEqual({ verdict: 'not-network-session', reason: 'Zeek JSON log streams dns without conn records in the sample' });
    const smbStream = '{"@stream":"smb_mapping","ts":1.0,"uid":"C1","id_orig_h":"10.0.0.1","id_orig_p":5,"id_resp_h":"10.0.0.2","id_resp_p":445,"path":"x"}\n';
    expect(sniff(smbStream)).toMatchObject({ verdict: 'not-network-session' });
    const dnsUnnamed = '{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp","query":"a"}\n';
    expect(sniff(dnsUnnamed)).toMatchObject({ verdict: 'not-network-session' });
  });

  it('does not claim other JSON or text', () => {
    expect(sniff('')).toEqual({ verdict: 'no' });
    expect(sniff('{"a":1}\n{"b":2}\n')).toEqual({ verdict: 'no' });
    expect(sniff('{"TimeGenerated":"2024-03-04T09:00:01Z","SrcIpAddr":"10.0.0.1","DstIpAddr":"10.0.0.2","DstPortNumber":445}\n')).toEqual({ verdict: 'no' });
    expect(sniff('{"event_type":"flow","src_ip":"10.0.0.1","dest_port":445,"flow_id":1}\n')).toEqual({ verdict: 'no' });
    expect(sniff('[{"uid":"C1","id.orig_h":"10.0.0.1"}]\n')).toEqual({ verdict: 'no' });
    expect(sniff('{not json\n')).toEqual({ verdict: 'no' });
    expect(zeekJsonFormat.sniff(sampleOfBuffer(readFileSync(fixture('conn-basic.log'))))).toEqual({ verdict: 'no' });
  });
});
