/**
 * The real OTRF lateral-movement datasets (NXLog-flattened JSON lines in a zip): every Sysmon EID 3 and WFP
 * event the ASIM parsers select is mapped, everything else is ignored, nothing is rejected, and one SMB
 * connection audited on both hosts by both Sysmon and WFP yields four records.
 *
 * Expected counts were computed independently of this code, in a shell, with:
 *   unzip -p test/fixtures/real/otrf/<name>.zip | python3 -c 'import json,sys,collections;
 *     c=collections.Counter((o["SourceName"],o["EventID"]) for o in map(json.loads,sys.stdin)); print(c)'
 * purplesharp_ad_playbook_I: 25993 lines; Sysmon EID 3: 126; Security 5156: 197, 5158: 129 (no other 515x).
 * covenant_copy_smb_CreateRequest: 506 lines; Sysmon EID 3: 3; Security 5156: 28, 5158: 49.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { detectFormat } from '../../../src/ingest/detect.js';
import { sampleOfBuffer } from '../../../src/sources/input.js';
import { windowsEventsJsonl } from '../../../src/sources/windows/windows-json.js';
import { collect, REAL_OTRF, unzipMembers, us } from './helpers.js';

async function onlyMember(zip: string): Promise<Buffer> {
  const members = await unzipMembers(join(REAL_OTRF, zip));
  expect(members.size).toBe(1);
  return [...members.values()][0]!;
}

describe('OTRF purplesharp_ad_playbook_I (NXLog JSON lines)', async () => {
  const content = await onlyMember('purplesharp_ad_playbook_I.zip');
  const result = await collect(windowsEventsJsonl, content);

  it('is detected as Windows events JSON lines by the registry', () => {
    const detection = detectFormat(sampleOfBuffer(content));
    expect(detection.format?.name).toBe('windows-events-jsonl');
    expect(detection.reason).toMatch(/NXLog/);
  });

  it('maps 126 Sysmon EID 3 and 326 WFP (197 × 5156 + 129 × 5158) events, ignores the rest, rejects none', () => {
    expect(result.rejects).toEqual([]);
    const sysmon = result.records.filter((record) => record['EventProduct'] === 'Sysmon');
    const firewall = result.records.filter((record) => record['EventProduct'] === 'Windows Firewall');
    expect(sysmon).toHaveLength(126);
    expect(firewall).toHaveLength(326);
    expect(firewall.filter((record) => record['NetworkDirection'] === 'Listen')).toHaveLength(129);
    expect(result.records).toHaveLength(126 + 326);
    expect(result.ignored).toHaveLength(25993 - 126 - 326);
  });

  it('one SMB connection (172.18.39.5:58192 → 172.18.38.5:445) is four records: Sysmon and WFP on client and server', () => {
    const connection = result.records.filter(
      (record) => record['SrcIpAddr'] === '172.18.39.5' && record['SrcPortNumber'] === 58192 && record['DstIpAddr'] === '172.18.38.5',
    );
    expect(connection).toHaveLength(4);
    for (const record of connection) expect(record['DstPortNumber']).toBe(445);
    const seen = connection.map((record) => `${record['EventProduct']}|${record['Dvc']}|${record['NetworkDirection'] ?? ''}`).sort();
    expect(seen).toEqual([
      'Sysmon|MORDORDC.theshire.local|',
      'Sysmon|WORKSTATION5.theshire.local|',
      'Windows Firewall|MORDORDC.theshire.local|Inbound',
      'Windows Firewall|WORKSTATION5.theshire.local|Outbound',
    ]);
    // NXLog EventTime is local (UTC−4, inferred from @timestamp vs EventReceivedTime): 04:29:54 local = 08:29:54Z.
    const serverWfp = connection.find((record) => record['EventProduct'] === 'Windows Firewall' && record['Dvc'] === 'MORDORDC.theshire.local');
    expect(serverWfp?.['TimeGenerated']).toBe(us('2020-10-22T08:29:54Z'));
    const clientSysmon = connection.find((record) => record['EventProduct'] === 'Sysmon' && record['Dvc'] === 'WORKSTATION5.theshire.local');
    expect(clientSysmon?.['EventStartTime']).toBe(us('2020-10-22T08:29:53.017Z'));
    expect(clientSysmon?.['TimeGenerated']).toBe(us('2020-10-22T08:29:55Z'));
  });
});

describe('OTRF covenant_copy_smb_CreateRequest (NXLog JSON lines, Channel spelled "Security" and "security")', async () => {
  const content = await onlyMember('covenant_copy_smb_CreateRequest.zip');
  const result = await collect(windowsEventsJsonl, content);

  it('maps 3 Sysmon EID 3 and 77 WFP (28 × 5156 + 49 × 5158) events', () => {
    expect(result.rejects).toEqual([]);
    expect(result.records.filter((record) => record['EventProduct'] === 'Sysmon')).toHaveLength(3);
    expect(result.records.filter((record) => record['EventProduct'] === 'Windows Firewall')).toHaveLength(77);
    expect(result.ignored).toHaveLength(506 - 80);
  });
});
