import { describe, expect, it } from 'vitest';
import { azureNsgAnalyticsFormat, azureNsgFlowFormat } from '../../../src/sources/network/azure-nsg.js';
import { fixture, run, us } from './helpers.js';

const NSG = '/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/RG-SMB/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-SERVERS';

describe('Azure NSG flow log blobs (version 1 and 2)', async () => {
  const out = await run(azureNsgFlowFormat, fixture('nsg-flow-v2.json'));

  it('emits one record per tuple (B, C and E of one flow are three), rejects bad tuples, ignores non-flow records', () => {
    expect(out.records.map((record) => [record.SrcIpAddr, record.EventOriginalSubType, record.DvcAction])).toEqual([
      ['10.0.5.21', 'B', 'Allow'],
      ['10.0.5.21', 'C', 'Allow'],
      ['10.0.5.21', 'E', 'Allow'],
      ['2001:db8::21', 'B', 'Allow'],
      ['192.0.2.50', 'B', 'Deny'],
      ['10.0.5.30', '', 'Allow'],
    ]);
    expect(out.records.every((record) => record.EventCount === 1)).toBe(true);
    expect(out.rejects.map((event) => [event.field, event.raw])).toEqual([
      ['dir', '1709543201,192.0.2.51,10.0.1.10,4445,445,T,X,D,B,,,,'],
      ['flowTuples', '1709543202,192.0.2.52,10.0.1.10'],
    ]);
    expect(out.ignored.map((event) => event.what)).toEqual(['category NetworkSecurityGroupEvent']);
  });

  it('maps a version 2 tuple with its counters, rule, NSG and interface', () => {
    expect(out.records[1]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:05:01Z'),
      EventVendor: 'Microsoft',
      EventProduct: 'NSGFlow',
      EventType: 'Flow',
      EventSchemaVersion: '0.2.3',
      EventProductVersion: '2',
      EventResult: 'Success',
      NetworkDirection: 'Inbound',
      NetworkProtocol: 'TCP',
      NetworkRuleName: 'UserRule_AllowSMB',
      Dvc: 'NSG-SERVERS',
      DvcId: NSG,
      DvcIdType: 'AzureResourceId',
      DvcSubscriptionId: '00000000-1111-2222-3333-444444444444',
      DstMacAddr: '00:0D:3A:F8:78:56',
      SrcMacAddr: '',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      SrcPackets: 30,
      SrcBytes: 16978,
      DstPackets: 24,
      DstBytes: 14008,
      NetworkPackets: 54,
      NetworkBytes: 30986,
    });
    expect(out.records[0]).toMatchObject({ SrcBytes: null, NetworkBytes: null });
    expect(out.records[3]).toMatchObject({ NetworkProtocolVersion: 'IPv6', DstIpAddr: '2001:db8::10' });
    expect(out.records[4]).toMatchObject({ EventResult: 'Failure', NetworkRuleName: 'DefaultRule_DenyAllInBound' });
  });

  it('maps a version 1 outbound tuple (no state, no counters; the MAC is the source)', () => {
    expect(out.records[5]).toMatchObject({ NetworkDirection: 'Outbound', SrcMacAddr: '00:0D:3A:F8:00:01', DstMacAddr: '', EventProductVersion: '1', Dvc: 'NSG-LEGACY', SrcBytes: null });
  });

  it('rejects a records[] element longer than 16 MiB without holding it, and reads the records around it', async () => {
    const text = fixture('nsg-flow-v2.json');
    const padded = text.replace('{"records":[', `{"records":[{"pad":"${'x'.repeat(17 * 1024 * 1024)}"},`);
    const out = await run(azureNsgFlowFormat, padded);
    expect(out.records).toHaveLength((await run(azureNsgFlowFormat, text)).records.length);
    expect(out.rejects.filter((event) => /JSON element of \d+ characters, longer than the 16777216/.test(event.reason))).toHaveLength(1);
  });

  it('rejects a blob cut in the middle of a record instead of dropping it silently', async () => {
    const text = fixture('nsg-flow-v2.json');
    const cut = await run(azureNsgFlowFormat, text.slice(0, text.indexOf('NSG-LEGACY')));
    expect(cut.records).toHaveLength(5);
    expect(cut.rejects.map((event) => event.reason)).toContain('truncated records[] element at end of input');
  });
});

describe('Traffic Analytics AzureNetworkAnalytics_CL export', async () => {
  const out = await run(azureNsgAnalyticsFormat, fixture('nsg-analytics.csv'));

  it('keeps flow rows with direction I/O; ignores the rest; rejects a bad address naming its column', () => {
    expect(out.recordLines).toEqual([2, 3, 7]);
    expect(out.ignored.map((event) => event.line)).toEqual([4, 5]);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([[6, 'SrcIP_s']]);
  });

  it('maps an inbound row: EventCount = sum of flow counters, bytes by direction, the VM as destination', () => {
    expect(out.records[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:10:00Z'),
      Type: 'AzureNetworkAnalytics_CL',
      EventStartTime: us('2024-03-04T09:00:00Z'),
      EventEndTime: us('2024-03-04T09:09:59Z'),
      EventCount: 3,
      EventOriginalSubType: 'IntraVNet',
      NetworkDuration: 599000,
      DvcAction: 'Allow',
      EventResult: 'Success',
      Dvc: 'sub/rg-smb/nsg-servers',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      DstPortNumber: 445,
      NetworkProtocol: 'TCP',
      NetworkApplicationProtocol: 'smb',
      SrcBytes: 16978,
      DstBytes: 14008,
      NetworkBytes: 30986,
      NetworkPackets: 54,
      DstHostname: 'files01',
      DstDomain: 'rg-smb',
      DstFQDN: 'rg-smb\\files01',
      DstDomainType: 'ResourceGroup',
      Hostname: 'files01',
      DstMacAddr: '00:0D:3A:F8:78:56',
      SrcInterfaceName: 'files01-nic',
    });
  });

  it('maps an outbound row to a public destination (first public IP), and nulls from missing counters', () => {
    expect(out.records[1]).toMatchObject({ DstIpAddr: '198.51.100.7', EventCount: 2, DvcAction: 'Deny', EventResult: 'Failure', SrcHostname: 'client01', SrcFQDN: 'rg-smb\\client01', DstGeoCountry: 'US', DstInterfaceName: 'client01-nic', NetworkBytes: null, Hostname: 'client01' });
    expect(out.records[2]).toMatchObject({ EventCount: null, DvcAction: '', EventResult: '', EventEndTime: null, NetworkDuration: null, DstFQDN: '\\' });
  });

  it('rejects a JSON row longer than 16 MiB, and reads the rows around it', async () => {
    const row = fixture('nsg-analytics.json').trim().slice(1, -1).trim();
    const out = await run(azureNsgAnalyticsFormat, `[${row},\n{"pad":"${'x'.repeat(17 * 1024 * 1024)}"},\n${row}]`);
    expect(out.records).toHaveLength(2);
    expect(out.rejects.map((event) => [event.line, event.reason])).toEqual([[2, `JSON element of ${17 * 1024 * 1024 + 10} characters, longer than the 16777216 smbwatch reads`]]);
  });

  it('reads the JSON form of the export', async () => {
    const json = await run(azureNsgAnalyticsFormat, fixture('nsg-analytics.json'));
    expect(json.records).toHaveLength(1);
    expect(json.records[0]).toMatchObject({ EventCount: 2, NetworkDuration: 30000, DstHostname: 'files01', TimeGenerated: us('2024-03-04T09:10:00Z') });
  });
});
