/**
 * Windows events as JSON lines (fixtures/windows/nxlog-winlogbeat.jsonl: NXLog-flattened and Winlogbeat
 * events, written from formats.md §3–§4 and the Winlogbeat field reference) and as a JSON array of
 * Log Analytics WindowsEvent rows (fixtures/windows/windowsevent-table.json). Expectations by hand.
 */
import { describe, expect, it } from 'vitest';
import { windowsEventsJsonArray, windowsEventsJsonl } from '../../../src/sources/windows/windows-json.js';
import { collect, fixture, sniff, us } from './helpers.js';

describe('windows-events-jsonl: NXLog and Winlogbeat', async () => {
  const content = await fixture('nxlog-winlogbeat.jsonl');
  const result = await collect(windowsEventsJsonl, content);
  const onLine = (line: number) => result.events.find((event) => event.line === line);
  const recordOn = (line: number) => {
    const event = onLine(line);
    return event?.kind === 'record' ? event.record : undefined;
  };

  it('sniffs as JSON lines of NXLog and Winlogbeat events', () => {
    const verdict = sniff(windowsEventsJsonl, content);
    expect(verdict.verdict).toBe('match');
    expect(verdict.verdict === 'match' && verdict.reason).toMatch(/^JSON lines of NXLog-flattened .* and Winlogbeat .*; the sample holds 9 event\(s\), 6 of them network sessions/);
  });

  it('gives 6 records (lines 1, 2, 3, 9, 11, 12), 3 ignored, 4 rejects with reasons', () => {
    expect(result.records).toHaveLength(6);
    expect(result.events.filter((event) => event.kind === 'record').map((event) => event.line)).toEqual([1, 2, 3, 9, 11, 12]);
    expect(result.ignored.map((event) => event.line)).toEqual([4, 5, 6]);
    expect(result.ignored[1]?.what).toBe('Microsoft-Windows-PowerShell event 4104: not a network-session event');
    expect(result.rejects.map((event) => [event.line, event.reason.replace(/:.*$/, ''), event.field])).toEqual([
      [7, 'invalid JSON', undefined],
      [8, 'JSON value is not an object', undefined],
      [10, 'not a timestamp', 'EventTime'],
      [13, 'invalid JSON', undefined],
    ]);
    expect(result.rejects[0]?.raw).toBe('{"EventID":3,"SourceName":');
  });

  it('NXLog Sysmon without EventTime takes @timestamp; server side (Initiated=false)', () => {
    expect(recordOn(1)).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:01.240Z'),
      EventStartTime: us('2024-03-04T09:00:01.230Z'),
      EventProduct: 'Sysmon',
      Dvc: 'fs01.corp.example',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DvcIpAddr: '10.0.1.10',
      SrcProcessGuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      SrcProcessName: 'System',
    });
  });

  it('NXLog EventTime is local: UTC−5 inferred from @timestamp − EventReceivedTime; WFP inbound, no swap', () => {
    expect(recordOn(2)).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:01Z'),
      EventProduct: 'Windows Firewall',
      NetworkDirection: 'Inbound',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DstAppName: 'System',
      DstProcessId: '4',
      DstHostname: 'fs01.corp.example',
      DstDvcId: 'S-1-0-0',
      DstUserIdType: 'SID',
    });
    expect(recordOn(2)).not.toHaveProperty('SrcUserIdType'); // RemoteUserID S-1-0-0 → SrcUserId "" and no type
  });

  it('NXLog EventTime without @timestamp is read in --timezone (default UTC)', async () => {
    expect(recordOn(3)?.['TimeGenerated']).toBe(us('2024-03-04T10:00:00Z'));
    const newYork = await collect(windowsEventsJsonl, content, { timezone: 'America/New_York' });
    const line3 = newYork.events.find((event) => event.line === 3);
    expect(line3?.kind === 'record' && line3.record['TimeGenerated']).toBe(us('2024-03-04T15:00:00Z'));
    // Lines that carry @timestamp and EventReceivedTime keep the inferred zone whatever --timezone says.
    const line2 = newYork.events.find((event) => event.line === 2);
    expect(line2?.kind === 'record' && line2.record['TimeGenerated']).toBe(us('2024-03-04T09:00:01Z'));
  });

  it('unusable UtcTime and port become nulls, not a lost record (toint/todatetime semantics)', () => {
    const record = recordOn(9);
    expect(record).toMatchObject({ TimeGenerated: us('2024-03-04T09:00:05Z'), NetworkProtocol: 'UDP', DstUsernameType: 'Windows', DstAppType: 'Process' });
    expect(record).not.toHaveProperty('DstPortNumber');
    expect(record).not.toHaveProperty('EventStartTime');
  });

  it('Winlogbeat Sysmon EID 3 reads winlog.event_data and @timestamp', () => {
    expect(recordOn(11)).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:06.500Z'),
      EventStartTime: us('2024-03-04T09:00:06.400Z'),
      Dvc: 'ws09.corp.example',
      DvcHostname: 'fs01',
      SrcHostname: 'ws09',
      DstUsername: 'CORP\\alice',
      DstProcessGuid: '01234567-89ab-cdef-0123-456789abcdef',
      DstAppName: 'svchost.exe',
      DstProcessName: 'C:\\Windows\\System32\\svchost.exe',
    });
  });

  it('Winlogbeat WFP 5152 (packet dropped) is Deny/Failure with its destination', () => {
    expect(recordOn(12)).toMatchObject({
      DvcAction: 'Deny',
      EventResult: 'Failure',
      EventSeverity: 'Low',
      NetworkDirection: 'Inbound',
      SrcIpAddr: '10.0.6.6',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DstAppName: '-',
      NetworkRuleNumber: 123,
    });
  });

  it('does not sniff Zeek JSON or ASIM JSON lines', () => {
    expect(sniff(windowsEventsJsonl, '{"ts":1709542801.1,"uid":"C1","id.orig_h":"10.0.0.1","id.resp_p":445}\n').verdict).toBe('no');
    expect(sniff(windowsEventsJsonl, '{"TimeGenerated":"2024-03-04T09:00:00Z","SrcIpAddr":"10.0.0.1","DstPortNumber":445}\n').verdict).toBe('no');
  });

  it('matches a file of only non-network Windows events (0 records, all ignored)', async () => {
    const onlyOther = '{"@timestamp":"2024-03-04T09:00:03Z","EventID":11,"SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational"}\n';
    const verdict = sniff(windowsEventsJsonl, onlyOther);
    expect(verdict.verdict === 'match' && verdict.reason).toMatch(/1 event\(s\), 0 of them network sessions/);
    const other = await collect(windowsEventsJsonl, onlyOther);
    expect([other.records.length, other.ignored.length, other.rejects.length]).toEqual([0, 1, 0]);
  });
});

describe('windows-events-json: Log Analytics WindowsEvent rows as a JSON array', async () => {
  const content = await fixture('windowsevent-table.json');
  const result = await collect(windowsEventsJsonArray, content);

  it('sniffs as a JSON array of Log Analytics rows', () => {
    const verdict = sniff(windowsEventsJsonArray, content);
    expect(verdict.verdict === 'match' && verdict.reason).toMatch(/^a JSON array of Log Analytics .*; the sample holds 4 event\(s\), 3 of them/);
    expect(sniff(windowsEventsJsonl, content).verdict).toBe('no');
  });

  it('maps Sysmon EID 3 by the WindowsEvent parser: SrcHostname is never read (it reads EventData.SrcHostname)', () => {
    const sysmon = result.records.find((record) => record['EventProduct'] === 'Sysmon');
    expect(sysmon).toMatchObject({
      Type: 'WindowsEvent',
      TimeGenerated: us('2024-03-04T09:00:01.300Z'),
      Dvc: 'ws05.corp.example',
      SrcIpAddr: '10.0.5.21',
      DstPortNumber: 445,
      DstHostname: 'fs01',
      _ResourceId: '/subscriptions/0000/resourcegroups/rg/providers/microsoft.compute/virtualmachines/ws05',
    });
    expect(sysmon).not.toHaveProperty('SrcHostname');
  });

  it('takes 5150 (WindowsEvent selects 5150–5159) and any provider; ignores 4624; rejects the stray value', () => {
    const firewall = result.records.filter((record) => record['EventProduct'] === 'Windows Firewall');
    expect(firewall.map((record) => [record['DvcAction'], record['SrcIpAddr'], record['DstPortNumber']])).toEqual([
      ['Allow', '10.0.5.21', 445],
      ['Deny', '10.0.6.6', 445],
    ]);
    expect(result.ignored.map((event) => event.what)).toEqual(['Microsoft-Windows-Security-Auditing event 4624 (WindowsEvent table): not Sysmon EID 3 nor 5150–5159']);
    expect(result.rejects.map((event) => [event.line, event.reason])).toEqual([[51, 'text outside any JSON object']]);
  });
});
