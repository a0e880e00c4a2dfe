/**
 * Defender for Endpoint DeviceNetworkEvents exports (fixtures written from the Advanced Hunting table
 * reference, formats.md §5): an Advanced Hunting CSV (Timestamp only) and a Log Analytics JSON array
 * (TimeGenerated and Timestamp). Expected values worked out by hand from vimNetworkSessionMicrosoft365Defender.
 */
import { describe, expect, it } from 'vitest';
import { defenderNetworkEventsCsv, defenderNetworkEventsJson } from '../../../src/sources/windows/defender.js';
import { windowsEventsCsv } from '../../../src/sources/windows/windows-csv.js';
import { windowsEventsJsonl } from '../../../src/sources/windows/windows-json.js';
import { collect, fixture, sniff, us } from './helpers.js';

describe('defender-network-events-csv', async () => {
  const content = await fixture('defender-networkevents.csv');
  const result = await collect(defenderNetworkEventsCsv, content);

  it('sniffs DeviceNetworkEvents columns; the Windows event formats do not', () => {
    expect(sniff(defenderNetworkEventsCsv, content)).toEqual({
      verdict: 'match',
      reason: 'CSV with DeviceNetworkEvents columns (ActionType, RemoteIP, LocalIP, …); 6 sample row(s), 5 with an ActionType the ASIM parser keeps',
    });
    expect(sniff(windowsEventsCsv, content).verdict).toBe('no');
  });

  it('keeps the six ActionTypes only: 4 records, ConnectionAcknowledged ignored, a bad Timestamp rejected', () => {
    expect(result.events.map((event) => [event.kind, event.line])).toEqual([
      ['record', 2],
      ['record', 3],
      ['ignored', 4],
      ['record', 5],
      ['record', 6],
      ['reject', 7],
    ]);
    expect(result.ignored[0]?.what).toBe('DeviceNetworkEvents ActionType "ConnectionAcknowledged": not one of the six the ASIM parser keeps');
    expect(result.rejects[0]).toMatchObject({ field: 'Timestamp', reason: 'not a timestamp: "yesterday"' });
  });

  it('outbound ConnectionSuccess: Local is the source', () => {
    expect(result.records[0]).toEqual({
      TimeGenerated: us('2024-03-04T09:00:01.240Z'),
      Type: 'DeviceNetworkEvents',
      EventCount: 1,
      EventProduct: 'M365 Defender for Endpoint',
      EventVendor: 'Microsoft',
      EventSchema: 'NetworkSession',
      EventSchemaVersion: '0.2.3',
      EventType: 'NetworkSession',
      EventSeverity: 'Informational',
      EventStartTime: us('2024-03-04T09:00:01.240Z'),
      EventEndTime: us('2024-03-04T09:00:01.240Z'),
      EventOriginalUid: '101',
      EventOriginalResultDetails: 'ConnectionSuccess',
      EventResult: 'Success',
      NetworkDirection: 'Outbound',
      NetworkProtocol: 'TCP',
      DvcIdType: 'MDEid',
      DvcId: 'dev-ws05',
      DvcHostname: 'ws05',
      DvcDomain: 'corp.example',
      DvcFQDN: 'ws05.corp.example',
      DvcDomainType: 'FQDN',
      Dvc: 'ws05',
      DvcIpAddr: '10.0.5.21',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      IpAddr: '10.0.5.21',
      Src: '10.0.5.21',
      Dst: '10.0.1.10',
      SrcUsernameType: 'Windows',
      SrcUsername: 'corp\\alice',
      SrcUserId: 'S-1-5-21-1-2-3-1001',
      SrcUserIdType: 'SID',
      SrcDvcId: 'dev-ws05',
      SrcDvcIdType: 'MDEid',
      SrcHostname: 'ws05',
      SrcDomain: 'corp.example',
      SrcFQDN: 'ws05.corp.example',
      SrcDomainType: 'FQDN',
      SrcProcessId: '4321',
      SrcProcessName: 'explorer.exe',
      SrcAppName: 'explorer.exe',
      SrcAppType: 'Process',
    });
  });

  it('InboundConnectionAccepted swaps: the client (Remote) is the source, so the server record also reads client → server:445', () => {
    const inbound = result.records[1];
    expect(inbound).toMatchObject({
      NetworkDirection: 'Inbound',
      SrcIpAddr: '10.0.5.21',
      SrcPortNumber: 51234,
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DvcIpAddr: '10.0.1.10',
      DstUserId: 'S-1-0-0',
      DstUserIdType: 'SID',
      DstUsername: 'system',
      DstUsernameType: 'Simple',
      DstHostname: 'fs01',
      DstFQDN: 'fs01.corp.example',
      DstProcessName: 'System',
    });
    expect(inbound).not.toHaveProperty('DstDomainType'); // the inbound branch never sets it
  });

  it('ConnectionFailed is Failure; TcpV4 → TCP; RemoteUrl loses its scheme and is split at dots', () => {
    expect(result.records[2]).toMatchObject({
      EventResult: 'Failure',
      NetworkProtocol: 'TCP',
      DstHostname: 'files',
      DstDomain: 'corp.example/share',
      DstFQDN: 'files.corp.example/share',
      Hostname: 'files',
    });
    expect(result.records[2]).not.toHaveProperty('SrcUserId'); // S-1-0-0 is dropped on the outbound side
  });

  it('ListeningConnectionCreated: Listen, swapped, Unknown protocol → empty', () => {
    const listen = result.records[3];
    expect(listen).toMatchObject({ NetworkDirection: 'Listen', DstIpAddr: '0.0.0.0', DstPortNumber: 445, DvcHostname: 'fs01' });
    for (const absent of ['NetworkProtocol', 'SrcIpAddr', 'SrcPortNumber', 'DvcFQDN']) expect(listen).not.toHaveProperty(absent);
  });
});

describe('defender-network-events-json', async () => {
  const content = await fixture('defender-networkevents.json');

  it('reads a Log Analytics JSON array, preferring TimeGenerated over Timestamp; numbers as numbers', async () => {
    expect(sniff(defenderNetworkEventsJson, content).verdict).toBe('match');
    expect(sniff(windowsEventsJsonl, content).verdict).toBe('no');
    const result = await collect(defenderNetworkEventsJson, content);
    expect(result.records.map((record) => [record['TimeGenerated'], record['SrcIpAddr'], record['DstPortNumber']])).toEqual([
      [us('2024-03-04T09:00:01.241Z'), '10.0.5.21', 445],
      [us('2024-03-04T09:00:01.501Z'), '10.0.5.21', 445],
    ]);
    expect(result.events.map((event) => event.line)).toEqual([2, 24]); // grep -n '^  {' defender-networkevents.json
  });

  it('reads the same rows as JSON lines, and rejects a truncated line', async () => {
    const rows = JSON.parse(content.toString('utf8')) as unknown[];
    const lines = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n{"ActionType":"ConnectionSuccess","Remote`;
    expect(sniff(defenderNetworkEventsJson, lines).verdict).toBe('match');
    const result = await collect(defenderNetworkEventsJson, lines);
    expect(result.records).toHaveLength(2);
    expect(result.rejects.map((event) => [event.line, event.reason.slice(0, 12)])).toEqual([[3, 'invalid JSON']]);
  });
});
