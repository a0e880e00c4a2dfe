import { describe, expect, it } from 'vitest';
import { nfdumpCsvFormat } from '../../../src/sources/network/nfdump.js';
import { suricataEveFormat } from '../../../src/sources/network/suricata-eve.js';
import { fixture, run, us } from './helpers.js';

describe('Suricata EVE flow events', async () => {
  const out = await run(suricataEveFormat, fixture('suricata-eve.json'));

  it('maps flow events, ignores other event types, rejects truncated and invalid lines', () => {
    expect(out.recordLines).toEqual([1, 3, 5]);
    expect(out.ignored.map((event) => event.what)).toEqual(['EVE event_type alert', 'EVE event_type smb']);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([
      [6, undefined],
      [7, 'src_ip'],
    ]);
    expect(out.rejects[0]?.reason).toMatch(/^invalid JSON/);
  });

  it('uses flow.start as the event time and keeps the 64-bit flow_id exactly', () => {
    expect(out.records[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:01.123Z') + 456,
      EventStartTime: us('2024-03-04T09:00:01.123Z') + 456,
      EventEndTime: us('2024-03-04T09:00:01.535Z') + 787,
      EventVendor: 'OISF',
      EventProduct: 'Suricata',
      EventType: 'Flow',
      EventSchemaVersion: '0.2.4',
      EventResult: 'Success',
      NetworkSessionId: '1234567890123456789',
      NetworkProtocol: 'TCP',
      NetworkApplicationProtocol: 'SMB',
      NetworkDuration: 412,
      Dvc: 'sensor01',
      DvcInterface: 'eth0',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      SrcPackets: 12,
      DstPackets: 10,
      SrcBytes: 2340,
      DstBytes: 2630,
      NetworkBytes: 4970,
      TcpFlagsSyn: true,
      TcpFlagsRst: null,
    });
  });

  it('maps ICMPv6 without ports and a TCP flow that never completed its handshake', () => {
    expect(out.records[1]).toMatchObject({ SrcPortNumber: null, DstPortNumber: null, NetworkIcmpType: '128', NetworkIcmpCode: 0, NetworkProtocolVersion: 'IPv6', NetworkProtocol: 'IPV6-ICMP' });
    expect(out.records[2]).toMatchObject({ EventResult: 'Failure', NetworkSessionId: '43' });
  });
});

describe('nfdump -o csv', () => {
  it('maps flows in UTC by default, stops at the 1.6 summary block, rejects short and bad rows', async () => {
    const out = await run(nfdumpCsvFormat, fixture('nfdump.csv'));
    expect(out.recordLines).toEqual([2, 3, 4]);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([
      [5, 'flg'],
      [6, 'sa'],
    ]);
    expect(out.ignored.map((event) => event.line)).toEqual([7, 8, 9]);
    expect(out.records[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T10:00:01Z'),
      EventEndTime: us('2024-03-04T10:00:01Z'),
      EventType: 'Flow',
      EventVendor: 'nfdump',
      EventProduct: 'nfdump',
      EventCount: 1,
      NetworkDuration: 412,
      NetworkProtocol: 'TCP',
      SrcIpAddr: '10.0.5.21',
      DstPortNumber: 445,
      SrcPackets: 12,
      SrcBytes: 2340,
      DstPackets: 10,
      DstBytes: 2630,
      NetworkBytes: 4970,
      DvcIpAddr: '192.0.2.254',
      DvcInboundInterface: '2',
      SrcVlanId: '20',
      SrcMacAddr: '00:0d:3a:f8:78:56',
      DstMacAddr: '',
      TcpFlagsAck: true,
      TcpFlagsPsh: true,
      TcpFlagsSyn: true,
      TcpFlagsFin: true,
      TcpFlagsRst: false,
    });
    expect(out.records[1]).toMatchObject({ NetworkProtocolVersion: 'IPv6', NetworkProtocol: 'UDP' });
    expect('TcpFlagsSyn' in (out.records[1] ?? {})).toBe(false); // flags only for TCP
    expect(out.records[2]).toMatchObject({ NetworkProtocol: 'ICMP', DstPortNumber: null, NetworkIcmpType: '8', NetworkIcmpCode: 0 });
  });

  it('reads local times in the timezone option (winter and summer offsets)', async () => {
    const out = await run(nfdumpCsvFormat, fixture('nfdump.csv'), { timezone: 'Europe/Paris' });
    expect(out.records[0]?.TimeGenerated).toBe(us('2024-03-04T09:00:01Z'));
    expect(out.records[1]?.TimeGenerated).toBe(us('2024-07-01T08:00:00Z'));
    expect(out.records[1]?.EventEndTime).toBe(us('2024-07-01T08:00:05Z'));
  });

  it('rejects rows, naming the option, when the time zone is not an IANA name', async () => {
    const out = await run(nfdumpCsvFormat, fixture('nfdump.csv'), { timezone: 'Mars/Olympus' });
    expect(out.records).toHaveLength(0);
    // every row with the header's column count reaches the time conversion first: lines 2, 3, 4 and 6
    expect(out.rejects.filter((event) => event.field === 'timezone').map((event) => event.line)).toEqual([2, 3, 4, 6]);
  });
});
