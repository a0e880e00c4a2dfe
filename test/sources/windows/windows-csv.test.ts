/**
 * Log Analytics CSV exports (fixtures written in the form of Sentinel's `Sample Data/ASIM` files, formats.md
 * §12): the Event table (Sysmon, EventData wrapped in <DataItem>, values spanning lines) and the SecurityEvent
 * table (EventData with CRLF-indented <Data> elements). Expectations by hand.
 */
import { describe, expect, it } from 'vitest';
import { windowsEventsCsv } from '../../../src/sources/windows/windows-csv.js';
import { collect, fixture, sniff, us } from './helpers.js';

describe('windows-events-csv: Event table export', async () => {
  const content = await fixture('event-table.csv');
  const result = await collect(windowsEventsCsv, content);

  it('sniffs as an Event table export', () => {
    const verdict = sniff(windowsEventsCsv, content);
    expect(verdict.verdict === 'match' && verdict.reason).toBe(
      'Log Analytics Event table CSV export; the sample holds 3 event(s), 2 of them network sessions (Sysmon EID 3 / WFP 5150–5159)',
    );
  });

  it('gives 2 records, 1 ignored (EID 1), 1 reject (short row), each on the line its row starts', () => {
    expect(result.events.map((event) => [event.kind, event.line])).toEqual([
      ['record', 2],
      ['ignored', 19],
      ['record', 20],
      ['reject', 21],
    ]);
    expect(result.ignored[0]?.what).toBe(
      'Microsoft-Windows-Sysmon event 1 (Event table): the Event table is read only by the Sysmon parser (Sysmon EID 3)',
    );
    expect(result.rejects[0]?.reason).toBe('row has 5 values, the header has 14 columns');
  });

  it('takes TimeGenerated from the export ("3/4/2024, 9:00:01.240 AM" [UTC]) and EventData from the <DataItem> XML', () => {
    expect(result.records[0]).toMatchObject({
      Type: 'Event',
      TimeGenerated: us('2024-03-04T09:00:01.240Z'),
      EventStartTime: us('2024-03-04T09:00:01.230Z'),
      _ResourceId: '/subscriptions/0000/virtualmachines/ws05',
      Dvc: 'ws05.corp.example',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DvcIpAddr: '10.0.5.21',
      DstProcessGuid: '11111111-2222-3333-4444-555555555555',
    });
  });

  it('keeps an IPv6 link-local self-connection (Src = Dst), as the parser does', () => {
    expect(result.records[1]).toMatchObject({
      TimeGenerated: us('2024-03-04T14:16:44.756Z'),
      SrcIpAddr: 'fe80:0:0:0:d024:56ce:c156:9dae',
      DstIpAddr: 'fe80:0:0:0:d024:56ce:c156:9dae',
      DstPortNumber: 5985,
      NetworkProtocolVersion: 'IPV6',
    });
  });

  it('TimeGenerated [Local Time] needs --timezone: rejected without, converted with', async () => {
    const local = content.toString('utf8').replace('TimeGenerated [UTC]', 'TimeGenerated [Local Time]');
    const without = await collect(windowsEventsCsv, local);
    expect(without.records).toEqual([]);
    expect(without.rejects.map((event) => [event.line, event.field])).toEqual([
      [2, 'TimeGenerated [Local Time]'],
      [20, 'TimeGenerated [Local Time]'],
      [21, undefined],
    ]);
    const kolkata = await collect(windowsEventsCsv, local, { timezone: 'Asia/Kolkata' });
    expect(kolkata.records.map((record) => record['TimeGenerated'])).toEqual([us('2024-03-04T03:30:01.240Z'), us('2024-03-04T08:46:44.756Z')]);
  });
});

describe('windows-events-csv: SecurityEvent table export', async () => {
  const content = await fixture('securityevent-table.csv');
  const result = await collect(windowsEventsCsv, content);

  it('maps 5156 and 5155, ignores 5145', () => {
    expect(sniff(windowsEventsCsv, content).verdict).toBe('match');
    expect(result.events.map((event) => [event.kind, event.line])).toEqual([
      ['record', 2],
      ['ignored', 17],
      ['record', 20],
    ]);
    expect(result.records[0]).toMatchObject({
      Type: 'SecurityEvent',
      TimeGenerated: us('2024-03-04T09:00:01.450Z'),
      NetworkDirection: 'Inbound',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      DvcAction: 'Allow',
    });
    expect(result.records[1]).toMatchObject({
      NetworkDirection: 'Listen',
      DvcAction: 'Deny',
      EventResult: 'Failure',
      SrcIpAddr: '0.0.0.0',
      SrcPortNumber: 4444,
      DstAppName: '\\device\\harddiskvolume2\\evil.exe',
      DstProcessId: '999',
    });
    expect(result.records[1]).not.toHaveProperty('DstIpAddr');
  });

  it('does not sniff an ASIM NetworkSession CSV or a DeviceNetworkEvents CSV', () => {
    expect(sniff(windowsEventsCsv, 'TimeGenerated [UTC],SrcIpAddr,DstIpAddr,DstPortNumber\n"3/4/2024, 9:00:01.240 AM",10.0.0.1,10.0.0.2,445\n').verdict).toBe('no');
    expect(sniff(windowsEventsCsv, 'Timestamp,DeviceId,DeviceName,ActionType,RemoteIP,LocalIP\n').verdict).toBe('no');
  });
});
