/**
 * Sysmon for Linux over syslog (fixtures/windows/sysmon-linux.log, written from the Sysmon for Linux event
 * layout). Direction as the ASIM parser decides it: Outbound iff SourceIp is the host's IP (unknown on a raw
 * line) or 127.0.0.1 / 0.0.0.0.
 */
import { describe, expect, it } from 'vitest';
import { sysmonLinuxSyslog } from '../../../src/sources/windows/linux-sysmon-syslog.js';
import { windowsEventXml } from '../../../src/sources/windows/windows-xml.js';
import { collect, fixture, sniff, us } from './helpers.js';

describe('sysmon-linux-syslog', async () => {
  const content = await fixture('sysmon-linux.log');
  const result = await collect(sysmonLinuxSyslog, content);

  it('sniffs syslog lines with Linux-Sysmon XML (and the XML format does not take them)', () => {
    const verdict = sniff(sysmonLinuxSyslog, content);
    expect(verdict).toEqual({ verdict: 'match', reason: 'syslog lines holding Sysmon for Linux event XML: 4 of 5 sample lines, 3 with EventID 3' });
    expect(sniff(windowsEventXml, content).verdict).toBe('no');
  });

  it('gives 2 records, ignores EID 1 and a non-Sysmon line, rejects a cut event', () => {
    expect(result.events.map((event) => [event.kind, event.line])).toEqual([
      ['record', 1],
      ['record', 2],
      ['ignored', 3],
      ['ignored', 4],
      ['reject', 5],
    ]);
    expect(result.rejects[0]?.reason).toBe('Sysmon for Linux line without a complete <Event>…</Event>');
  });

  it('maps a loopback connection as Outbound with process fields on the Src side', () => {
    expect(result.records[0]).toEqual({
      TimeGenerated: us('2024-03-04T09:00:01.123Z') + 456, // SystemTime keeps microseconds
      Type: 'Syslog',
      EventCount: 1,
      EventVendor: 'Microsoft',
      EventProduct: 'Sysmon for Linux',
      EventSchema: 'NetworkSession',
      EventSchemaVersion: '0.2.3',
      EventType: 'NetworkSession',
      EventResult: 'Success',
      EventSeverity: 'Informational',
      EventOriginalType: '3',
      EventOriginalUid: '41',
      EventStartTime: us('2024-03-04T09:00:01.120Z'),
      EventEndTime: us('2024-03-04T09:00:01.120Z'),
      DvcOs: 'Linux',
      DvcHostname: 'ubuntu01',
      Dvc: 'ubuntu01',
      SrcIpAddr: '127.0.0.1',
      DstIpAddr: '127.0.0.1',
      Src: '127.0.0.1',
      Dst: '127.0.0.1',
      IpAddr: '127.0.0.1',
      SrcHostname: '-',
      DstHostname: '-',
      Hostname: '-',
      SrcPortNumber: 40000,
      DstPortNumber: 445,
      NetworkProtocol: 'TCP',
      NetworkDirection: 'Outbound',
      SrcUsernameType: 'Simple',
      SrcUsername: 'alice',
      SrcAppType: 'Process',
      SrcProcessId: '4242',
      SrcProcessGuid: '6a8b2c1d-0000-0000-0000-000000000001',
      SrcProcessName: '/usr/bin/smbclient',
      SrcAppName: '/usr/bin/smbclient',
    });
  });

  it('maps an accepted connection as Inbound (no HostIP on a raw line) with process fields on the Dst side', () => {
    expect(result.records[1]).toMatchObject({
      NetworkDirection: 'Inbound',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.2.20',
      DstPortNumber: 445,
      DstProcessName: '/usr/sbin/smbd',
      DstUsername: 'root',
    });
    expect(result.records[1]).not.toHaveProperty('SrcProcessName');
  });
});
