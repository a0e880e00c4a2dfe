/**
 * AWS VPC Flow Logs (space-separated text, as delivered to S3, plain or gzipped), mapped as Sentinel's
 * `vimNetworkSessionAWSVPC` (0.3.1) maps the `AWSVPCFlow` table.
 *
 * Fields are read by the header line S3 delivery writes (`version account-id interface-id srcaddr …`, also
 * accepted with `${…}` around the names as in the format string); a file without a header is taken as the
 * version 2 default format. Count-changing behaviour reproduced from the parser:
 * - only `log-status` OK is kept (`where LogStatus == "OK"`): NODATA/SKIPDATA lines are `ignored`;
 * - the protocol is resolved with a `lookup` on the upstream IANA table, in which 84 is listed twice
 *   (TTP, IPTM): a protocol-84 line yields two records, as in Sentinel.
 * `TimeGenerated` is `start` (the S3 connector's time column); EventStartTime = TimeGenerated, EventEndTime = `end`.
 */
import type { AsimRecord } from '../../asim/record.js';
import { epochSecondsToMicros } from '../../util/time.js';
import { mapLines } from '../lines.js';
import type { ContentSample, Line, ParseEvent, SniffVerdict, SourceFormat } from '../types.js';
import { FieldError, ignored, ipAddress, portNumber, protocolNames, recordEvent, reject, wholeNumber } from './common.js';

/** Field names AWS documents for flow log records, versions 2–8. */
const KNOWN_FIELDS = new Set([
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes',
  'start', 'end', 'action', 'log-status', 'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr',
  'pkt-dstaddr', 'region', 'az-id', 'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service',
  'flow-direction', 'traffic-path', 'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn',
  'ecs-container-instance-id', 'ecs-container-id', 'ecs-second-container-id', 'ecs-service-name',
  'ecs-task-definition-arn', 'ecs-task-arn', 'ecs-task-id', 'reject-reason', 'resource-id', 'encryption-status',
]);

const DEFAULT_V2_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes',
  'start', 'end', 'action', 'log-status',
];

const ACTIONS: Readonly<Record<string, string>> = { ACCEPT: 'Allow', REJECT: 'Deny' };
const DIRECTIONS: Readonly<Record<string, string>> = { ingress: 'Inbound', egress: 'Outbound' };

/** `${account-id}` and `account_id` name the same field as `account-id`. */
function headerFields(line: string): string[] | undefined {
  const tokens = line.trim().split(/\s+/).map((token) => token.replace(/^\$\{(.*)\}$/, '$1').replace(/_/g, '-').toLowerCase());
  if (tokens.length < 2 || !tokens.every((token) => KNOWN_FIELDS.has(token))) return undefined;
  if (!tokens.includes('srcaddr') && !tokens.includes('log-status')) return undefined;
  return tokens;
}

const DEFAULT_V2_LINE = /^2 \S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+ \d+ \d+ (ACCEPT|REJECT|-) (OK|NODATA|SKIPDATA)$/;

function sniff(sample: ContentSample): SniffVerdict {
  const first = sample.lines.find((line) => line.trim() !== '');
  if (first === undefined) return { verdict: 'no' };
  const header = headerFields(first);
  if (header) return { verdict: 'match', reason: `first line is a VPC flow log header naming ${header.length} known fields` };
  if (DEFAULT_V2_LINE.test(first.trim())) {
    return { verdict: 'match', reason: 'first line has the 14 fields of the version 2 default format, ending in action and log-status' };
  }
  return { verdict: 'no', reason: 'no VPC flow log header or version 2 default line' };
}

type Fields = ReadonlyMap<string, string>;

/** `-` marks a value that does not apply: read as absent. */
function field(fields: Fields, name: string): string {
  const value = fields.get(name) ?? '';
  return value === '-' ? '' : value;
}

function epochField(fields: Fields, name: string): number | null {
  const value = field(fields, name);
  if (value === '') return null;
  const micros = epochSecondsToMicros(value);
  if (micros === null) throw new FieldError(name, `${name} is not Unix seconds: ${JSON.stringify(value)}`);
  return micros;
}

/** The mapping of one OK line; `protocolName` is one of the names the lookup yields. */
function toRecord(fields: Fields, networkProtocol: string): AsimRecord {
  const action = field(fields, 'action');
  const start = epochField(fields, 'start');
  if (start === null) throw new FieldError('start', 'start is missing');
  const srcIp = ipAddress(field(fields, 'srcaddr'), 'srcaddr');
  const dstIp = ipAddress(field(fields, 'dstaddr'), 'dstaddr');
  const vpcId = field(fields, 'vpc-id');
  const srcService = field(fields, 'pkt-src-aws-service');
  const dstService = field(fields, 'pkt-dst-aws-service');
  const interfaceId = field(fields, 'interface-id');
  return {
    TimeGenerated: start,
    Type: 'AWSVPCFlow',
    EventStartTime: start,
    EventEndTime: epochField(fields, 'end'),
    EventVendor: 'AWS',
    EventProduct: 'VPC',
    EventProductVersion: field(fields, 'version'),
    EventType: 'NetworkSession',
    EventCount: 1,
    EventSeverity: action === 'ACCEPT' ? 'Informational' : 'Low',
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '0.2.3',
    EventResult: action === 'ACCEPT' ? 'Success' : 'Failure',
    EventOriginalResultDetails: field(fields, 'log-status'),
    DvcAction: ACTIONS[action] ?? '',
    DvcIdType: 'AwsVpcId',
    DvcId: vpcId,
    Dvc: vpcId,
    DvcInboundInterface: interfaceId,
    DvcInterface: interfaceId,
    DvcSubscriptionId: field(fields, 'account-id'),
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    SrcPortNumber: portNumber(field(fields, 'srcport'), 'srcport'),
    DstPortNumber: portNumber(field(fields, 'dstport'), 'dstport'),
    SrcNatIpAddr: ipAddress(field(fields, 'pkt-srcaddr'), 'pkt-srcaddr'),
    DstNatIpAddr: ipAddress(field(fields, 'pkt-dstaddr'), 'pkt-dstaddr'),
    NetworkProtocol: networkProtocol,
    NetworkProtocolVersion: field(fields, 'type'),
    NetworkDirection: DIRECTIONS[field(fields, 'flow-direction')] ?? '',
    NetworkBytes: wholeNumber(field(fields, 'bytes'), 'bytes'),
    NetworkPackets: wholeNumber(field(fields, 'packets'), 'packets'),
    SrcAppName: srcService,
    DstAppName: dstService,
    SrcAppType: srcService !== '' ? 'CloudService' : '',
    DstAppType: dstService !== '' ? 'CloudService' : '',
  };
}

function parseDataLine(line: Line, names: readonly string[]): ParseEvent | ParseEvent[] {
  const values = line.text.trim().split(/\s+/);
  if (values.length !== names.length) {
    return reject(line.no, line.text, `expected ${names.length} space-separated fields as the header names, found ${values.length}`, names[Math.min(values.length, names.length - 1)]);
  }
  const fields: Fields = new Map(names.map((name, index) => [name, values[index] ?? '']));
  const status = field(fields, 'log-status');
  if (names.includes('log-status') && status !== 'OK') {
    return ignored(line.no, `log-status ${status || '-'} (the ASIM parser keeps only OK)`);
  }
  try {
    const protocol = wholeNumber(field(fields, 'protocol'), 'protocol');
    // lookup (leftouter): no name → one record with ""; several names → one record each.
    const names84 = protocolNames(protocol);
    const protocols = names84.length === 0 ? [''] : names84;
    return protocols.map((name) => recordEvent(line.no, toRecord(fields, name)));
  } catch (error) {
    if (error instanceof FieldError) return reject(line.no, line.text, error.message, error.field);
    throw error;
  }
}

export const awsVpcFlowFormat: SourceFormat = {
  name: 'aws-vpc',
  title: 'AWS VPC Flow Logs (S3 text, default or custom format)',
  asimParser: 'vimNetworkSessionAWSVPC (_Im_NetworkSession_AWSVPC)',
  detection: 'a header line of VPC flow log field names (version account-id … log-status), or a version 2 default-format line',
  // Custom formats are read by the header at the top: resuming mid-file would lose it.
  lineBased: false,
  sniff,
  parse(input) {
    let names: readonly string[] | undefined;
    return mapLines(input.lines(), (line): ParseEvent | ParseEvent[] | undefined => {
      if (line.text.trim() === '') return undefined;
      const header = headerFields(line.text);
      if (header) {
        names = header;
        return undefined;
      }
      if (names === undefined) {
        if (!DEFAULT_V2_LINE.test(line.text.trim())) {
          return reject(line.no, line.text, 'no header line names the fields, and the line is not in the version 2 default format', 'version');
        }
        names = DEFAULT_V2_FIELDS;
      }
      return parseDataLine(line, names);
    });
  },
};

