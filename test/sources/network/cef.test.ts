import { describe, expect, it } from 'vitest';
import { cefExportFormat, cefSyslogFormat, cefTimeToMicros, inferYear, parseCef, parseExtension } from '../../../src/sources/network/cef.js';
import { fixture, run, us } from './helpers.js';

describe('CEF text', () => {
  it('unescapes \\= \\\\ \\n in extension values and \\| in header fields', () => {
    expect(parseExtension('msg=rule a\\=b path C:\\\\share\\nsecond line cs1=x\\|y')).toEqual([
      ['msg', 'rule a=b path C:\\share\nsecond line'],
      ['cs1', 'x|y'],
    ]);
    const event = parseCef('CEF:0|Contoso|Edge\\|Firewall|1.0|100|Name|2|src=1.2.3.4');
    expect(typeof event !== 'string' && event.header.deviceProduct).toBe('Edge|Firewall');
  });

  it('lets values run until the next key, keeps empty values, and does not split on an escaped =', () => {
    expect(parseExtension('duser= app=smb cn3Label=Elapsed time in seconds x\\=1=y')).toEqual([
      ['duser', ''],
      ['app', 'smb'],
      ['cn3Label', 'Elapsed time in seconds x=1=y'],
    ]);
  });

  it('reads CEF times: epoch ms, MMM dd yyyy with zone, and the year inferred for RFC 3164', () => {
    expect(cefTimeToMicros('1709542802000', undefined)).toBe(us('2024-03-04T09:00:02Z'));
    expect(cefTimeToMicros('Mar 04 2024 09:00:03 GMT', undefined)).toBe(us('2024-03-04T09:00:03Z'));
    expect(cefTimeToMicros('Mar 04 2024 10:00:03', 'Europe/Paris')).toBe(us('2024-03-04T09:00:03Z'));
    expect(cefTimeToMicros('Mar 04 2024 09:00:03 CET', undefined)).toBeNull();
    expect(inferYear(11, 31, new Date('2025-01-01T00:10:00Z'))).toBe(2024);
    expect(inferYear(2, 4, new Date('2025-06-01T00:00:00Z'))).toBe(2025);
  });
});

describe('CEF over syslog', async () => {
  const out = await run(cefSyslogFormat, fixture('cef-syslog.log'));
  const byLine = (line: number) => out.records.filter((_, index) => out.recordLines[index] === line);

  it('counts records, ignored events and rejects per line', () => {
    expect(out.recordLines).toEqual([1, 3, 4, 6, 7, 8, 9, 10, 13]);
    expect(out.ignored.map((event) => event.line)).toEqual([2, 5, 11, 12, 14]);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([
      [15, 'CEF'],
      [16, 'CEF'],
      [17, 'SourcePort'],
    ]);
  });

  it('maps PAN-OS TRAFFIC as vimNetworkSessionPaloAltoCEF', () => {
    expect(byLine(1)[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:03Z'),
      EventVendor: 'Palo Alto',
      EventProduct: 'PanOS',
      EventProductVersion: '10.1.6',
      EventType: 'NetworkSession',
      EventSchemaVersion: '0.2.3',
      EventStartTime: us('2024-03-04T09:00:00Z'),
      EventEndTime: us('2024-03-04T09:00:00Z'),
      EventOriginalResultDetails: 'tcp-fin',
      EventOriginalSeverity: '1',
      Dvc: 'pa-fw01.corp.example',
      DvcHostname: 'pa-fw01',
      DvcDomain: 'corp.example',
      DvcDomainType: 'FQDN',
      DvcAction: 'Allow',
      EventResult: 'Success',
      NetworkProtocol: 'TCP',
      NetworkApplicationProtocol: 'ms-ds-smb',
      NetworkRuleName: 'allow-smb',
      NetworkBytes: 4970,
      NetworkPackets: 22,
      NetworkSessionId: '98765',
      NetworkDuration: 5000,
      SrcZone: 'trust',
      DstZone: 'servers',
      SrcUsername: 'corp\\alice',
      SrcUsernameType: 'Simple',
      DstUsername: '',
      SrcBytes: 2340,
      DstBytes: 2630,
      SrcPackets: 12,
      DstPackets: 10,
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      SrcNatIpAddr: '0.0.0.0',
    });
    expect(out.ignored[0]?.what).toBe('PAN-OS THREAT (the parser keeps only TRAFFIC)');
  });

  it('maps FortiGate traffic as vimNetworkSessionFortinetFortiGate (action from act or from the Name)', () => {
    expect(byLine(3)[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:02Z'),
      EventStartTime: us('2024-03-04T09:00:02Z'),
      EventEndTime: us('2024-03-04T09:00:02Z'),
      EventVendor: 'Fortinet',
      EventProduct: 'Fortigate',
      EventSchemaVersion: '0.2.3',
      EventMessage: 'traffic:forward accept',
      EventSeverity: 'Informational',
      Dvc: 'fgt01',
      DvcId: 'FGT60F0000000001',
      DvcIdType: 'Other',
      DvcAction: 'Allow',
      EventResult: 'Success',
      NetworkProtocol: 'TCP',
      NetworkProtocolVersion: 'IPv4',
      NetworkRuleNumber: 12,
      Rule: '12',
      NetworkDuration: 5,
      SrcZone: 'lan',
      DstZone: 'dmz',
      SrcInterfaceName: 'port1',
      DstInterfaceName: 'port2',
      SrcPackets: 12,
      DstPackets: 10,
      NetworkPackets: 22,
      NetworkBytes: 4970,
    });
    expect(byLine(4)[0]).toMatchObject({
      DvcOriginalAction: 'close',
      DvcAction: '',
      EventResult: 'Success',
      SrcIpAddr: '2001:db8::21',
      SrcPortNumber: null,
      NetworkProtocolVersion: 'IPv6',
      EventStartTime: us('2024-03-04T09:00:01Z'),
      NetworkBytes: null,
    });
  });

  it('makes two records of an ASA built + teardown pair (CEF, with SourceIP: the parsed path)', () => {
    const [built] = byLine(6);
    const [teardown] = byLine(7);
    expect(built).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:05Z'),
      EventVendor: 'Cisco',
      EventProduct: 'ASA',
      EventSchemaVersion: '0.2.4',
      EventOriginalType: '302013',
      EventSubType: 'Start',
      DvcAction: 'Allow',
      EventResult: 'Success',
      NetworkSessionId: '4712',
      SrcIpAddr: '192.0.2.10',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      SrcNatIpAddr: '192.0.2.10',
      SrcNatPortNumber: 51234,
      DstNatPortNumber: 445,
      SrcInterfaceName: 'outside',
      DstInterfaceName: 'outside', // the parser's DstInterfaceName = tolower(SrcInterfaceName)
      NetworkProtocol: 'TCP',
      NetworkDirection: '0', // CommunicationDirection as stored
      Dvc: 'asa01',
    });
    expect(teardown).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:10Z'),
      EventSubType: 'End',
      NetworkSessionId: '4712',
      NetworkBytes: 2340,
      NetworkDuration: 7200, // 24 * 60 * 5 s, as the parser computes it
      DvcAction: '',
      EventResult: 'Failure',
      EventResultDetails: 'Reset',
      EventOriginalResultDetails: 'TCP Reset-O',
      EventSeverity: 'Low',
      NetworkProtocol: 'TCP',
    });
  });

  it('reads native %ASA- lines through the unparsed path (addresses from the message), and hit-cnt as EventCount', () => {
    expect(byLine(8)[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:05Z'),
      EventSubType: 'Start',
      SrcIpAddr: '192.0.2.11',
      SrcPortNumber: 51299,
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      NetworkSessionId: '4711',
      NetworkDirection: '',
      Dvc: 'asa02',
      // The parser's `* ":" DeviceAction " " NetworkDirection " " Protocol " connection "` matches lazily after
      // "%ASA-6-302013:", so DeviceAction is "" and Protocol "inbound TCP": reproduced, see docs/sources/network.md.
      NetworkProtocol: 'INBOUND TCP',
    });
    expect(byLine(9)[0]).toMatchObject({ EventSubType: 'End', SrcIpAddr: '192.0.2.11', DstPortNumber: 445, NetworkBytes: 2340, NetworkDuration: 7200, EventResult: '' });
    expect(byLine(10)[0]).toMatchObject({
      EventCount: 3,
      DvcAction: 'Allow',
      EventResult: 'Success',
      NetworkRuleName: 'outside_in',
      DvcOriginalAction: 'permitted',
      NetworkProtocol: 'TCP',
      SrcIpAddr: '192.0.2.10',
      SrcPortNumber: 51234,
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
    });
    expect(out.ignored.slice(2, 4).map((event) => event.what)).toEqual([
      'Cisco ASA 106001 without SourceIP (the parser reads addresses from the message only for 106023, 302013, 302014, 302015, 302016, 106100)',
      'Cisco ASA message 305011 (not one the ASIM parser selects)',
    ]);
  });

  it('maps other vendors with the generic CEF mapping (escaped values, RFC 5424 time, IPv6)', () => {
    expect(byLine(13)[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:08.250Z'),
      EventVendor: 'Contoso',
      EventProduct: 'Edge|Firewall',
      EventSchemaVersion: '2.2',
      EventMessage: 'rule a=b path C:\\share\nsecond line',
      DvcAction: 'Allow',
      EventResult: 'Success',
      Dvc: 'edge01.corp.example',
      DvcHostname: 'edge01',
      SrcIpAddr: '2001:db8::21',
      DstPortNumber: 445,
      NetworkProtocol: 'TCP',
    });
    expect(out.ignored[4]?.what).toContain('without SourceIP and DestinationIP');
  });
});

describe('CommonSecurityLog export', async () => {
  const out = await run(cefExportFormat, fixture('csl-export.csv'));

  it('maps rows by vendor and rejects a row whose TimeGenerated is not a time', () => {
    expect(out.recordLines).toEqual([2, 3, 4]);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([[5, 'TimeGenerated']]);
    expect(out.records[0]).toMatchObject({ EventVendor: 'Fortinet', TimeGenerated: us('2024-03-04T09:00:02Z'), EventUid: 'item-1', NetworkRuleNumber: 12, SrcPackets: 12, NetworkBytes: 4970 });
    expect(out.records[1]).toMatchObject({ EventVendor: 'Cisco', EventCount: 7, DvcAction: 'Deny', EventResult: 'Failure', SrcInterfaceName: 'outside', DstInterfaceName: 'outside', NetworkProtocol: 'TCP' });
    expect(out.records[2]).toMatchObject({ EventVendor: 'Palo Alto', EventStartTime: us('2024-03-04T09:00:00Z'), DstPackets: 10, SrcPackets: 12, Dvc: '' });
  });
});
