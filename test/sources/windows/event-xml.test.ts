/**
 * Windows event XML (fixtures/windows/events.xml, written from the event schema): Sysmon EID 3 on both ends
 * of one SMB connection, WFP 5156/5157/5158, a version-0 5156, and events no parser selects. Expected values
 * are worked out by hand from the ASIM parsers' rules (see the comments at each expectation).
 */
import { describe, expect, it } from 'vitest';
import { windowsEventXml } from '../../../src/sources/windows/windows-xml.js';
import { collect, fixture, sniff, us } from './helpers.js';

describe('windows-event-xml: events.xml', async () => {
  const content = await fixture('events.xml');
  const result = await collect(windowsEventXml, content);
  const byTime = (iso: string) => result.records.find((record) => record['TimeGenerated'] === us(iso));

  it('sniffs as Windows event XML and says what the sample holds', () => {
    const verdict = sniff(windowsEventXml, content);
    expect(verdict).toEqual({
      verdict: 'match',
      reason: 'Windows event XML; the sample holds 8 event(s), 6 of them network sessions (Sysmon EID 3 / WFP 5150–5159) in the Windows event namespace',
    });
  });

  it('gives 6 records, 2 ignored events, no rejects; each event cites the line its <Event> starts on', () => {
    expect(result.rejects).toEqual([]);
    expect(result.records).toHaveLength(6);
    expect(result.ignored.map((event) => [event.line, event.what])).toEqual([
      [61, 'Microsoft-Windows-Sysmon event 1: only Sysmon EID 3 is a network session'],
      [162, 'Microsoft-Windows-Security-Auditing event 5151: the SecurityEvent firewall parser selects 5152 and 5154–5159'],
    ]);
    expect(result.events.map((event) => event.line)).toEqual([4, 34, 61, 71, 96, 120, 139, 162]); // grep -n '<Event ' events.xml
  });

  it('maps the client Sysmon EID 3 (Initiated=true): process fields on the Dst side, Dvc host from DestinationHostname', () => {
    expect(byTime('2024-03-04T09:00:01.240Z')).toEqual({
      TimeGenerated: us('2024-03-04T09:00:01.240Z'),
      Type: 'Event',
      EventCount: 1,
      EventVendor: 'Microsoft',
      EventProduct: 'Sysmon',
      EventSchema: 'NetworkSession',
      EventSchemaVersion: '0.2.5',
      EventType: 'EndpointNetworkSession',
      EventResult: 'Success',
      EventSeverity: 'Informational',
      EventOriginalType: '3',
      EventStartTime: us('2024-03-04T09:00:01.230Z'),
      EventEndTime: us('2024-03-04T09:00:01.230Z'),
      DvcOs: 'Windows',
      Dvc: 'ws05.corp.example',
      DvcIpAddr: '10.0.5.21',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      Src: '10.0.5.21',
      Dst: '10.0.1.10',
      IpAddr: '10.0.5.21',
      Hostname: 'fs01.corp.example',
      NetworkProtocol: 'TCP',
      NetworkProtocolVersion: 'IPV4',
      NetworkRuleName: '-',
      DstUsernameType: 'Windows',
      DstUsername: 'NT AUTHORITY\\SYSTEM',
      DstProcessId: '4',
      DstProcessGuid: '11111111-2222-3333-4444-555555555555',
      DstProcessName: 'System',
      DstAppName: 'System',
      DstAppType: 'Process',
      SrcHostname: 'ws05',
      SrcDomain: 'corp.example',
      SrcDomainType: 'FQDN',
      SrcFQDN: 'ws05.corp.example',
      DvcHostname: 'fs01',
      DvcDomain: 'corp.example',
      DvcDomainType: 'FQDN',
      DvcFQDN: 'fs01.corp.example',
      DstHostname: 'fs01',
      DstDomain: 'corp.example',
      DstDomainType: 'FQDN',
      DstFQDN: 'fs01.corp.example',
    });
  });

  it('maps the server Sysmon EID 3 (Initiated=false) with the same Src/Dst: the connection counts twice', () => {
    const server = byTime('2024-03-04T09:00:01.500Z');
    expect(server).toMatchObject({
      Dvc: 'fs01.corp.example',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DvcIpAddr: '10.0.1.10', // iff(Initiated, Src, Dst)
      Hostname: '-', // SourceHostname as read; only Src/Dvc/DstHostname turn "-" into ""
      NetworkRuleName: 'technique_id=T1021.002',
      SrcProcessName: 'C:\\Windows\\System32\\ntoskrnl & co.exe', // XML entity decoded
      SrcAppName: 'ntoskrnl & co.exe',
      SrcUsernameType: 'Windows',
      SrcAppType: 'Process',
    });
    for (const absent of ['DvcHostname', 'SrcHostname', 'DstHostname', 'DstProcessName', 'DstUsername']) expect(server).not.toHaveProperty(absent);
  });

  it('maps WFP 5156 outbound: Allow, no swap, the Src side gets the app; empty SrcUserId still says SID (parser quirk)', () => {
    expect(byTime('2024-03-04T09:00:01.250Z')).toEqual({
      TimeGenerated: us('2024-03-04T09:00:01.250Z'),
      Type: 'SecurityEvent',
      EventCount: 1,
      EventVendor: 'Microsoft',
      EventProduct: 'Windows Firewall',
      EventSchema: 'NetworkSession',
      EventSchemaVersion: '0.2.3',
      EventType: 'NetworkSession',
      EventStartTime: us('2024-03-04T09:00:01.250Z'),
      EventEndTime: us('2024-03-04T09:00:01.250Z'),
      EventResult: 'Success',
      EventSeverity: 'Informational',
      DvcAction: 'Allow',
      DvcOs: 'Windows',
      DvcHostname: 'ws05.corp.example',
      Dvc: 'ws05.corp.example',
      Hostname: 'ws05.corp.example',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      Src: '10.0.5.21',
      Dst: '10.0.1.10',
      IpAddr: '10.0.5.21',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      NetworkDirection: 'Outbound',
      NetworkProtocol: 'TCP',
      NetworkRuleNumber: 70123,
      Rule: '70123',
      SrcAppName: 'System',
      SrcAppType: 'Process',
      DstAppType: 'Process',
      SrcProcessId: '4',
      SrcHostname: 'ws05.corp.example',
      SrcDvcId: 'S-1-0-0',
      SrcDvcIdType: 'SID',
      SrcUserIdType: 'SID',
    });
  });

  it('maps WFP 5157 inbound: Deny/Failure/Low, UDP from protocol 17, the Dst side gets app, host and machine id', () => {
    expect(byTime('2024-03-04T09:00:03Z')).toMatchObject({
      DvcAction: 'Deny',
      EventResult: 'Failure',
      EventSeverity: 'Low',
      NetworkProtocol: 'UDP',
      NetworkDirection: 'Inbound',
      SrcIpAddr: '10.0.9.9',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DstAppName: 'System',
      DstProcessId: '4',
      DstHostname: 'fs01.corp.example',
      DstDvcId: 'S-1-5-21-1-2-3-2001',
      DstDvcIdType: 'SID',
      SrcUserId: 'S-1-5-21-1-2-3-1001',
      SrcUserIdType: 'SID',
      DstUserIdType: 'SID',
      NetworkRuleNumber: 0,
      Rule: '0',
    });
  });

  it('maps WFP 5158 (bind) as Listen with no destination', () => {
    const bind = byTime('2024-03-04T09:00:04Z');
    expect(bind).toMatchObject({ NetworkDirection: 'Listen', DvcAction: 'Allow', SrcIpAddr: '0.0.0.0', SrcPortNumber: 445, DstHostname: 'fs01.corp.example' });
    expect(bind).not.toHaveProperty('DstIpAddr');
    expect(bind).not.toHaveProperty('DstPortNumber');
  });

  it('keeps a version-0 5156 (no RemoteUserID/RemoteMachineID) with empty fields, as the failed parse pattern leaves it', () => {
    const old = byTime('2024-03-04T09:00:05Z');
    expect(old).toMatchObject({ DvcAction: 'Allow', Dvc: 'old01.corp.example', DstHostname: 'old01.corp.example' });
    for (const absent of ['SrcIpAddr', 'DstIpAddr', 'DstPortNumber', 'SrcPortNumber', 'NetworkDirection', 'NetworkProtocol', 'Rule', 'SrcAppName', 'DstAppName']) {
      expect(old).not.toHaveProperty(absent);
    }
  });
});

describe('windows-event-xml: one event, malformed and truncated input', () => {
  const single = `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID><TimeCreated SystemTime="2024-03-04T10:00:00Z"/><Computer>ws06</Computer></System><EventData><Data Name="SourceIp">10.0.5.22</Data><Data Name="DestinationIp">10.0.1.10</Data><Data Name="DestinationPort">445</Data></EventData></Event>`;

  it('reads a single <Event> without wrapper; a missing Initiated fills neither side and Hostname falls back to the computer', async () => {
    expect(sniff(windowsEventXml, single).verdict).toBe('match');
    const result = await collect(windowsEventXml, single);
    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject({ Dvc: 'ws06', Hostname: 'ws06', DvcHostname: 'ws06', DvcIpAddr: '10.0.1.10', DstPortNumber: 445 });
    expect(Object.keys(result.records[0]!).filter((key) => /Process|Username|AppType/.test(key))).toEqual([]);
  });

  it('rejects invalid XML, stray text, an event without a time, and a truncated last event, with reasons and lines', async () => {
    const broken = single.replace('</System>', '');
    const noTime = single.replace('<TimeCreated SystemTime="2024-03-04T10:00:00Z"/>', '');
    const content = ['<Events>', single, broken, 'garbage here', noTime, single.slice(0, 120)].join('\n');
    const result = await collect(windowsEventXml, content);
    expect(result.records).toHaveLength(1);
    expect(result.rejects.map((reject) => [reject.line, reject.reason.replace(/\(line.*$/, '').trim(), reject.field])).toEqual([
      [3, "invalid event XML: Expected closing tag 'System' (opened in line 1, col 70) instead of closing tag 'Event'.", undefined],
      [4, 'text outside any <Event> element', undefined],
      [5, 'not an ISO 8601 time: ""', 'System/TimeCreated/@SystemTime'],
      [6, 'truncated <Event>: no closing </Event>', undefined],
    ]);
  });

  it('does not sniff other XML or JSON', () => {
    expect(sniff(windowsEventXml, '<?xml version="1.0"?><root><Event/></root>').verdict).toBe('no');
    expect(sniff(windowsEventXml, '{"EventID":3}').verdict).toBe('no');
  });
});
