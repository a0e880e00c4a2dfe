/**
 * Azure NSG flow logs, two ways:
 *
 * 1. `azure-nsg-flow`: the version 1/2 JSON blobs Network Watcher writes to storage
 *    (`records[].properties.flows[].flows[].flowTuples[]`). Sentinel has no parser for the raw blobs (it reads
 *    them through Traffic Analytics), so the mapping follows `vimNetworkSessionAzureNSG` field by field and
 *    emits **one record per tuple**, EventCount 1: B, C and E tuples of one flow are three records, as they are
 *    three rows of the log (the NSG docs: count `B` tuples to count connections).
 * 2. `azure-nsg-analytics`: an export of the Traffic Analytics table `AzureNetworkAnalytics_CL` (CSV or JSON),
 *    mapped as `vimNetworkSessionAzureNSG` (0.1.1) does: one record per row with a non-empty `FlowType_s` and
 *    a direction of I or O (other rows are dropped by the parser: `ignored` here); EventCount = the sum of
 *    the four flow counters (null if one is missing, as Kusto's `+`).
 */
import type { AsimRecord } from '../../asim/record.js';
import { epochSecondsToMicros } from '../../util/time.js';
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import { FieldError, ignored, ipAddress, ipVersion, portNumber, realNumber, recordEvent, reject, sumOrNull, text, wholeNumber } from './common.js';
import { oversizedReason, splitJsonElements } from './json-stream.js';
import { datetimeCell, readTableRows, sampleColumns, stringCell, type TableRow } from './tables.js';

const PROTOCOLS: Readonly<Record<string, string>> = { T: 'TCP', U: 'UDP' };
const DIRECTIONS: Readonly<Record<string, string>> = { I: 'Inbound', O: 'Outbound' };
const DECISIONS: Readonly<Record<string, { action: string; result: string }>> = {
  A: { action: 'Allow', result: 'Success' },
  D: { action: 'Deny', result: 'Failure' },
};

const NSG_CONSTANTS = {
  EventVendor: 'Microsoft',
  EventProduct: 'NSGFlow',
  EventType: 'Flow',
  EventSchema: 'NetworkSession',
  EventSchemaVersion: '0.2.3',
  EventSeverity: 'Informational',
} as const;

// ---------------------------------------------------------------- raw flow log blobs

const TUPLE_FIELDS = ['ts', 'src', 'dst', 'sp', 'dp', 'proto', 'dir', 'action', 'state', 'pktsS', 'bytesS', 'pktsD', 'bytesD'] as const;

/** Where a tuple came from: the NSG resource, the rule and the interface MAC. */
interface TupleContext {
  readonly resourceId: string;
  readonly rule: string;
  readonly mac: string;
  readonly version: number | null;
}

function sniffFlowBlob(sample: ContentSample): SniffVerdict {
  const head = sample.text.trimStart();
  if (!head.startsWith('{') || !/"records"\s*:/.test(head)) return { verdict: 'no' };
  if (/"flowTuples"\s*:/.test(head) || head.includes('NetworkSecurityGroupFlowEvent')) {
    return { verdict: 'match', reason: 'JSON object with "records" holding NSG flow events (flowTuples)' };
  }
  return { verdict: 'no', reason: 'a "records" JSON blob without NSG flow tuples' };
}

/** `/SUBSCRIPTIONS/<id>/RESOURCEGROUPS/<rg>/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/<name>` */
function resourceParts(resourceId: string): { subscription: string; name: string } {
  const subscription = /\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
  const name = /\/networksecuritygroups\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
  return { subscription, name };
}

/** `000D3AF87856` → `00:0D:3A:F8:78:56`. */
function formatMac(mac: string): string {
  return /^[0-9A-Fa-f]{12}$/.test(mac) ? (mac.match(/../g) ?? []).join(':') : mac;
}

function tupleToRecord(tuple: string, context: TupleContext): AsimRecord {
  const values = tuple.split(',');
  if (values.length !== 8 && values.length !== 13) {
    throw new FieldError('flowTuples', `a flow tuple has 8 (version 1) or 13 (version 2) fields, this one has ${values.length}`);
  }
  const get = (name: (typeof TUPLE_FIELDS)[number]): string => values[TUPLE_FIELDS.indexOf(name)] ?? '';
  const time = epochSecondsToMicros(get('ts'));
  if (time === null) throw new FieldError('ts', `tuple time is not Unix seconds: ${JSON.stringify(get('ts'))}`);
  const direction = DIRECTIONS[get('dir')];
  if (direction === undefined) throw new FieldError('dir', `tuple direction is not I or O: ${JSON.stringify(get('dir'))}`);
  const decision = DECISIONS[get('action')];
  if (decision === undefined) throw new FieldError('action', `tuple decision is not A or D: ${JSON.stringify(get('action'))}`);
  const state = get('state');
  if (values.length === 13 && !['B', 'C', 'E'].includes(state)) {
    throw new FieldError('state', `tuple flow state is not B, C or E: ${JSON.stringify(state)}`);
  }
  const srcIp = ipAddress(get('src'), 'src');
  const dstIp = ipAddress(get('dst'), 'dst');
  const srcPackets = wholeNumber(get('pktsS'), 'pktsS');
  const srcBytes = wholeNumber(get('bytesS'), 'bytesS');
  const dstPackets = wholeNumber(get('pktsD'), 'pktsD');
  const dstBytes = wholeNumber(get('bytesD'), 'bytesD');
  const { subscription, name } = resourceParts(context.resourceId);
  const mac = formatMac(context.mac);
  const inbound = direction === 'Inbound';
  return {
    ...NSG_CONSTANTS,
    TimeGenerated: time,
    EventStartTime: time,
    EventEndTime: time,
    EventCount: 1,
    EventOriginalSubType: state,
    EventProductVersion: context.version === null ? '' : String(context.version),
    DvcAction: decision.action,
    EventResult: decision.result,
    Dvc: name,
    DvcId: context.resourceId,
    DvcIdType: context.resourceId === '' ? '' : 'AzureResourceId',
    DvcSubscriptionId: subscription,
    NetworkRuleName: context.rule,
    Rule: context.rule,
    NetworkDirection: direction,
    NetworkProtocol: PROTOCOLS[get('proto')] ?? '',
    NetworkProtocolVersion: ipVersion(srcIp),
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    SrcPortNumber: portNumber(get('sp'), 'sp'),
    DstPortNumber: portNumber(get('dp'), 'dp'),
    // The interface that logged the flow is the destination's for inbound flows, the source's for outbound.
    DstMacAddr: inbound ? mac : '',
    SrcMacAddr: inbound ? '' : mac,
    SrcPackets: srcPackets,
    SrcBytes: srcBytes,
    DstPackets: dstPackets,
    DstBytes: dstBytes,
    NetworkPackets: sumOrNull(srcPackets, dstPackets),
    NetworkBytes: sumOrNull(srcBytes, dstBytes),
  };
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function asArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** All events of one element of `records`: a record per tuple, or a reject/ignored for the element. */
function flowRecordEvents(raw: string, line: number): ParseEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return [reject(line, raw, `invalid JSON in records[]: ${(error as Error).message}`)];
  }
  const record = asObject(parsed);
  if (!record) return [reject(line, raw, 'records[] element is not an object', 'records')];
  const category = text(record.category);
  if (category !== '' && category !== 'NetworkSecurityGroupFlowEvent') return [ignored(line, `category ${category}`)];
  const properties = asObject(record.properties);
  const outerFlows = asArray(properties?.flows);
  if (!properties || !outerFlows) return [reject(line, raw, 'record has no properties.flows array', 'properties.flows')];
  const resourceId = text(record.resourceId);
  const versionValue = properties.Version ?? properties.version;
  const version = typeof versionValue === 'number' ? versionValue : null;
  const events: ParseEvent[] = [];
  for (const outer of outerFlows) {
    const ruleFlows = asObject(outer);
    const innerFlows = asArray(ruleFlows?.flows);
    if (!ruleFlows || !innerFlows) {
      events.push(reject(line, JSON.stringify(outer) ?? '', 'properties.flows[] has no flows array', 'flows'));
      continue;
    }
    const rule = text(ruleFlows.rule);
    for (const inner of innerFlows) {
      const macFlows = asObject(inner);
      const tuples = asArray(macFlows?.flowTuples);
      if (!macFlows || !tuples) {
        events.push(reject(line, JSON.stringify(inner) ?? '', 'flows[].flows[] has no flowTuples array', 'flowTuples'));
        continue;
      }
      const context: TupleContext = { resourceId, rule, mac: text(macFlows.mac), version };
      for (const tuple of tuples) {
        if (typeof tuple !== 'string') {
          events.push(reject(line, JSON.stringify(tuple) ?? '', 'a flow tuple is not a string', 'flowTuples'));
          continue;
        }
        try {
          events.push(recordEvent(line, tupleToRecord(tuple, context)));
        } catch (error) {
          if (!(error instanceof FieldError)) throw error;
          events.push(reject(line, tuple, error.message, error.field));
        }
      }
    }
  }
  return events;
}

async function* parseFlowBlobs(input: SourceInput): AsyncGenerator<ParseEvent[]> {
  let seen = 0;
  for await (const elements of splitJsonElements(input.bytes(), { unwrapKey: 'records' })) {
    const events: ParseEvent[] = [];
    seen += elements.length;
    for (const element of elements) {
      if (element.oversized) events.push(reject(element.line, element.text, oversizedReason(element.oversized), 'records'));
      else if (!element.complete) events.push(reject(element.line, element.text, 'truncated records[] element at end of input', 'records'));
      else events.push(...flowRecordEvents(element.text, element.line));
    }
    if (events.length > 0) yield events;
  }
  // Content that holds no records[] at all (a wrong --format) must not vanish silently.
  if (seen === 0 && (await firstNonBlankChar(input)) !== '') {
    yield [reject(1, '', 'no "records" array of NSG flow events in the input', 'records')];
  }
}

export const azureNsgFlowFormat: SourceFormat = {
  name: 'azure-nsg-flow',
  title: 'Azure NSG flow logs (version 1/2 JSON blobs)',
  asimParser: 'none for raw blobs; mapped as vimNetworkSessionAzureNSG maps Traffic Analytics rows, one record per tuple',
  detection: 'a JSON object whose "records" hold NetworkSecurityGroupFlowEvent records with flowTuples',
  lineBased: false,
  sniff: sniffFlowBlob,
  parse: (input) => parseFlowBlobs(input),
};

// ---------------------------------------------------------------- Traffic Analytics table export

function sniffAnalytics(sample: ContentSample): SniffVerdict {
  const columns = sampleColumns(sample);
  if (!columns) return { verdict: 'no' };
  const has = (name: string): boolean => columns.columns.has(name);
  if (has('FlowType_s') && (has('SrcIP_s') || has('DestIP_s')) && has('FlowDirection_s')) {
    return { verdict: 'match', reason: `${columns.kind.toUpperCase()} export with AzureNetworkAnalytics_CL columns (FlowType_s, SrcIP_s/DestIP_s, FlowDirection_s)` };
  }
  return { verdict: 'no', reason: 'no AzureNetworkAnalytics_CL columns' };
}

/** Kusto `split(s, '/')[i]` then `tostring`: a missing part is "". */
function part(value: string, separator: string, index: number): string {
  return value.split(separator)[index] ?? '';
}

/** The first address of `SrcPublicIPs_s` (`ip|counters… ip|counters…`), as `split(x, '|')[0]`. */
function privateOrFirstPublic(privateIp: string, publicIps: string): string {
  return privateIp !== '' ? privateIp : part(publicIps, '|', 0);
}

/** The VM `resourcegroup/name` pair as the parser splits it (an empty VM still yields FQDN "\"). */
function hostFields(vm: string): { FQDN: string; Hostname: string; Domain: string; DomainType: string } {
  const group = part(vm, '/', 0);
  const name = part(vm, '/', 1);
  return { FQDN: `${group}\\${name}`, Hostname: name, Domain: group, DomainType: 'ResourceGroup' };
}

function prefixed(prefix: 'Src' | 'Dst', fields: Record<string, string>): AsimRecord {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [prefix + key, value]));
}

function analyticsRowToRecord(row: TableRow, timezone: string | undefined): AsimRecord | string {
  const s = (column: string): string => stringCell(row, column);
  if (!('FlowType_s' in row.cells)) throw new FieldError('FlowType_s', 'no FlowType_s column: not an AzureNetworkAnalytics_CL export');
  if (s('FlowType_s') === '') return 'row without FlowType_s (not a flow row; the parser keeps only rows with one)';
  const direction = DIRECTIONS[s('FlowDirection_s')];
  if (direction === undefined) return `FlowDirection_s ${JSON.stringify(s('FlowDirection_s'))} (the parser keeps only I and O)`;
  const outbound = direction === 'Outbound';
  const start = datetimeCell(row, 'FlowStartTime_t', timezone);
  const end = datetimeCell(row, 'FlowEndTime_t', timezone);
  const time = datetimeCell(row, 'TimeGenerated', timezone) ?? start;
  if (time === null) throw new FieldError('TimeGenerated', 'neither TimeGenerated nor FlowStartTime_t is set');
  const counter = (column: string): number | null => {
    const value = realNumber(row.cells[column], column);
    return value === null ? null : Math.trunc(value);
  };
  const inBytes = counter('InboundBytes_d');
  const outBytes = counter('OutboundBytes_d');
  const inPackets = counter('InboundPackets_d');
  const outPackets = counter('OutboundPackets_d');
  const [srcBytes, dstBytes, srcPackets, dstPackets] = outbound ? [outBytes, inBytes, outPackets, inPackets] : [inBytes, outBytes, inPackets, outPackets];
  const flows = ['AllowedInFlows_d', 'DeniedInFlows_d', 'AllowedOutFlows_d', 'DeniedOutFlows_d'].map((column) => realNumber(row.cells[column], column));
  const flowTotal = sumOrNull(...flows);
  const decision = DECISIONS[s('FlowStatus_s')];
  const srcIp = ipAddress(privateOrFirstPublic(s('SrcIP_s'), s('SrcPublicIPs_s')), s('SrcIP_s') !== '' ? 'SrcIP_s' : 'SrcPublicIPs_s');
  const dstIp = ipAddress(privateOrFirstPublic(s('DestIP_s'), s('DestPublicIPs_s')), s('DestIP_s') !== '' ? 'DestIP_s' : 'DestPublicIPs_s');
  const interfaceName = part(s('NIC_s'), '/', 1);
  const country = s('Country_s').toUpperCase();
  // The logging VM is the destination of inbound flows and the source of outbound ones.
  const host = hostFields(outbound ? s('VM1_s') : s('VM2_s'));
  const endpointFields = outbound
    ? { ...prefixed('Src', host), SrcMacAddr: s('MACAddress_s'), DstInterfaceName: interfaceName, DstGeoCountry: country, Hostname: host.Hostname }
    : { ...prefixed('Dst', host), DstMacAddr: s('MACAddress_s'), SrcInterfaceName: interfaceName, SrcGeoCountry: country, Hostname: host.Hostname };
  const port = realNumber(row.cells.DestPort_d, 'DestPort_d');
  const rule = s('NSGRule_s');
  return {
    ...NSG_CONSTANTS,
    ...endpointFields,
    TimeGenerated: time,
    Type: s('Type') || 'AzureNetworkAnalytics_CL',
    EventStartTime: start,
    EventEndTime: end,
    EventCount: flowTotal === null ? null : Math.trunc(flowTotal),
    EventOriginalSubType: s('FlowType_s'),
    NetworkDuration: start === null || end === null ? null : Math.trunc((end - start) / 1000),
    DvcAction: decision?.action ?? '',
    EventResult: decision?.result ?? '',
    Dvc: s('NSGList_s'),
    DvcSubscriptionId: s('Subscription_g'),
    NetworkApplicationProtocol: s('L7Protocol_s'),
    NetworkRuleName: rule,
    Rule: rule,
    NetworkSessionId: s('ConnectionName_s'),
    NetworkDirection: direction,
    NetworkProtocol: PROTOCOLS[s('L4Protocol_s')] ?? '',
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    DstPortNumber: port === null ? null : portNumber(Math.trunc(port), 'DestPort_d'),
    SrcBytes: srcBytes,
    DstBytes: dstBytes,
    SrcPackets: srcPackets,
    DstPackets: dstPackets,
    NetworkBytes: sumOrNull(dstBytes, srcBytes),
    NetworkPackets: sumOrNull(dstPackets, srcPackets),
  };
}

async function* parseAnalytics(input: SourceInput, options: ParseOptions, kind: 'csv' | 'json'): AsyncGenerator<ParseEvent[]> {
  for await (const items of readTableRows(input, kind)) {
    const events: ParseEvent[] = [];
    for (const item of items) {
      if (item.kind === 'bad') {
        events.push(reject(item.line, item.raw, item.reason));
        continue;
      }
      try {
        const result = analyticsRowToRecord(item.row, options.timezone);
        events.push(typeof result === 'string' ? ignored(item.row.line, result) : recordEvent(item.row.line, result));
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        events.push(reject(item.row.line, item.row.raw, error.message, error.field));
      }
    }
    if (events.length > 0) yield events;
  }
}

export const azureNsgAnalyticsFormat: SourceFormat = {
  name: 'azure-nsg-analytics',
  title: 'Azure NSG flows via Traffic Analytics (AzureNetworkAnalytics_CL export, CSV or JSON)',
  asimParser: 'vimNetworkSessionAzureNSG (_Im_NetworkSession_AzureNSG)',
  detection: 'CSV header or JSON keys with FlowType_s, SrcIP_s/DestIP_s and FlowDirection_s',
  lineBased: false,
  sniff: sniffAnalytics,
  async *parse(input, options) {
    const head = await firstNonBlankChar(input);
    yield* parseAnalytics(input, options, head === '{' || head === '[' ? 'json' : 'csv');
  },
};

/** Whether an export is JSON or CSV, from its first non-blank character. */
export async function firstNonBlankChar(input: SourceInput): Promise<string> {
  for await (const batch of input.lines()) {
    for (const line of batch) {
      const trimmed = line.text.replace(/^\uFEFF/, '').trim();
      if (trimmed !== '') return trimmed[0] ?? '';
    }
  }
  return '';
}
