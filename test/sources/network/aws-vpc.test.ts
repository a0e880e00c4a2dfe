import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openContainer } from '../../../src/ingest/containers.js';
import { detectFormat } from '../../../src/ingest/detect.js';
import { sampleOfBuffer } from '../../../src/sources/input.js';
import { awsVpcFlowFormat } from '../../../src/sources/network/aws-vpc.js';
import { fixture, run, us } from './helpers.js';

describe('AWS VPC flow logs, version 2 default format (no header)', async () => {
  const out = await run(awsVpcFlowFormat, fixture('aws-vpc-default.log'));

  it('keeps OK lines (protocol 84 twice), ignores NODATA/SKIPDATA, rejects the truncated and the bad-address line', () => {
    expect(out.recordLines).toEqual([1, 3, 5, 6, 6]);
    expect(out.ignored.map((event) => [event.line, event.what])).toEqual([
      [2, 'log-status NODATA (the ASIM parser keeps only OK)'],
      [4, 'log-status SKIPDATA (the ASIM parser keeps only OK)'],
    ]);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([
      [7, 'bytes'], // the first field the truncated line lacks
      [8, 'srcaddr'],
    ]);
    expect(out.rejects[0]?.reason).toContain('expected 14 space-separated fields');
  });

  it('maps an ACCEPT line as vimNetworkSessionAWSVPC does', () => {
    expect(out.records[0]).toMatchObject({
      TimeGenerated: us('2024-03-04T09:00:00Z'),
      EventStartTime: us('2024-03-04T09:00:00Z'),
      EventEndTime: us('2024-03-04T09:01:00Z'),
      Type: 'AWSVPCFlow',
      EventVendor: 'AWS',
      EventProduct: 'VPC',
      EventProductVersion: '2',
      EventType: 'NetworkSession',
      EventSchemaVersion: '0.2.3',
      EventCount: 1,
      EventResult: 'Success',
      EventSeverity: 'Informational',
      EventOriginalResultDetails: 'OK',
      DvcAction: 'Allow',
      DvcIdType: 'AwsVpcId',
      DvcId: '',
      DvcInboundInterface: 'eni-0a1b2c3d4e5f67890',
      DvcSubscriptionId: '123456789012',
      SrcIpAddr: '10.0.5.21',
      DstIpAddr: '10.0.1.10',
      SrcPortNumber: 51234,
      DstPortNumber: 445,
      NetworkProtocol: 'TCP',
      NetworkBytes: 2340,
      NetworkPackets: 12,
      NetworkDirection: '',
    });
  });

  it('maps REJECT to Deny/Failure/Low, ICMP ports, and protocol 84 to both upstream names', () => {
    expect(out.records[1]).toMatchObject({ DvcAction: 'Deny', EventResult: 'Failure', EventSeverity: 'Low', SrcIpAddr: '10.0.5.22' });
    expect(out.records[2]).toMatchObject({ NetworkProtocol: 'ICMP', SrcPortNumber: 0, DstPortNumber: 0 });
    expect(out.records.slice(3).map((record) => [record.NetworkProtocol, record.SrcPortNumber, record.DstPortNumber])).toEqual([
      ['TTP', null, null],
      ['IPTM', null, null],
    ]);
  });
});

describe('AWS VPC flow logs, custom format read by its header', async () => {
  const out = await run(awsVpcFlowFormat, fixture('aws-vpc-custom.log'));

  it('counts one record per OK line and names the field that did not fit', () => {
    expect(out.recordLines).toEqual([2, 3, 4]);
    expect(out.ignored.map((event) => event.line)).toEqual([5]);
    expect(out.rejects.map((event) => [event.line, event.field])).toEqual([[6, 'protocol']]);
  });

  it('maps IPv6, flow-direction, pkt-* addresses, VPC id and AWS services', () => {
    expect(out.records[0]).toMatchObject({
      EventProductVersion: '5',
      SrcIpAddr: '2001:db8::10',
      DstIpAddr: '2001:db8::20',
      NetworkProtocolVersion: 'IPv6',
      NetworkDirection: 'Inbound',
      SrcNatIpAddr: '2001:db8::10',
      DvcId: 'vpc-0abc',
      Dvc: 'vpc-0abc',
      NetworkBytes: 4000,
      NetworkPackets: 20,
      SrcAppType: '',
    });
    expect(out.records[1]).toMatchObject({ NetworkDirection: 'Outbound', DstAppName: 'S3', DstAppType: 'CloudService', SrcAppName: '' });
    expect(out.records[2]).toMatchObject({ DvcAction: 'Deny', EventResult: 'Failure' });
  });

  it('accepts the ${…} spelling of the header', async () => {
    const text = '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}\n'
      + '2 1 eni-1 10.0.0.1 10.0.0.2 1 445 6 1 1 1709542800 1709542860 ACCEPT OK\n';
    expect((await run(awsVpcFlowFormat, text)).records).toHaveLength(1);
  });
});

describe('AWS VPC flow logs delivered gzipped to S3', () => {
  it('are decompressed by the container layer, detected as aws-vpc and read line by line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'smbwatch-vpc-')), '123456789012_vpcflowlogs_us-east-1_fl-1_20240304T0905Z_hash.log.gz');
    writeFileSync(path, gzipSync(fixture('aws-vpc-custom.log')));
    const [raw] = await openContainer(path, 0);
    const chunks: Buffer[] = [];
    for await (const chunk of await raw!.open()) chunks.push(Buffer.from(chunk));
    const content = Buffer.concat(chunks);
    expect(raw!.container).toBe('gzip');
    expect(detectFormat(sampleOfBuffer(content)).format?.name).toBe('aws-vpc');
    expect((await run(awsVpcFlowFormat, content)).records).toHaveLength(3);
  });
});
