/**
 * Fortinet FortiGate traffic over CEF, mapped as `vimNetworkSessionFortinetFortiGate` (0.4) maps
 * CommonSecurityLog. Selection: DeviceVendor "Fortinet", DeviceProduct starting "FortiGate" (Kusto
 * `startswith` ignores case, so "Fortigate" matches), DeviceEventCategory has "traffic" (or
 * AdditionalExtensions has "cat=traffic"), and neither DeviceAction "dns" nor an Activity with the term "dns".
 * The action comes from DeviceAction, else from an Activity `traffic:forward <action>`; Fortinet's own keys are
 * read from AdditionalExtensions with `parse-kv` (`FortinetFortiGatepolicyid=…;…`).
 */
import type { AsimRecord } from '../../asim/record.js';
import {
  extensionPairs,
  intColumn,
  ipColumn,
  portColumn,
  timeGenerated,
  type CefVendorMapper,
  type CslRow,
  type MapResult,
} from './cef-csl.js';
import { cefTimeToMicrosLoose } from './cef-time.js';
import { FieldError, protocolName, sumOrNull, wholeNumber } from './common.js';
import { kustoHas, kustoParse, type ParsePart } from './kusto-text.js';

/** DeviceAction → DvcAction, EventResult, EventResultDetails (the parser's EventLookup). */
const EVENT_LOOKUP: Readonly<Record<string, readonly [string, string, string]>> = {
  accept: ['Allow', 'Success', ''],
  'client-rst': ['Reset Source', 'Failure', ''],
  close: ['', 'Success', ''],
  deny: ['Deny', 'Failure', ''],
  'ip-conn': ['', 'Failure', 'IP connection error'],
  'server-rst': ['Reset Destination', 'Failure', ''],
  timeout: ['', 'Failure', ''],
};

/** CEF severity → EventSeverity, as the parser's SeverityLookup (values outside ASIM's list included). */
const SEVERITY_LOOKUP: Readonly<Record<string, string>> = {
  '1': 'Informational',
  '2': 'Informational',
  '3': 'Informational',
  '4': 'Low',
  '5': 'Low',
  '6': 'Critical',
  '7': 'Alert',
  '8': 'High',
};

const ACTIVITY_ACTION: readonly ParsePart[] = ['traffic:forward ', { col: 'action' }];

/** `_ASIM_ResolveNetworkProtocol`: a protocol number resolved to its IANA name; other text upper-cased. */
function resolveProtocol(protocol: string): string {
  const trimmed = protocol.trim();
  if (/^\d+$/.test(trimmed)) return protocolName(Number(trimmed));
  return trimmed.toUpperCase();
}

function kvNumber(pairs: ReadonlyMap<string, string>, key: string): number | null {
  try {
    return wholeNumber(pairs.get(key), key);
  } catch (error) {
    if (error instanceof FieldError) return null; // parse-kv into a typed column yields null on a bad value
    throw error;
  }
}

function isSelectedTraffic(row: CslRow): boolean {
  const isTraffic = kustoHas(row.get('DeviceEventCategory'), 'traffic') || kustoHas(row.get('AdditionalExtensions'), 'cat=traffic');
  return isTraffic && row.get('DeviceAction') !== 'dns' && !kustoHas(row.get('Activity'), 'dns');
}

function map(row: CslRow, timezone: string | undefined): MapResult {
  const time = timeGenerated(row);
  const action = row.get('DeviceAction') || (kustoParse(row.get('Activity'), ACTIVITY_ACTION).action as string);
  const [dvcAction, result, resultDetails] = EVENT_LOOKUP[action] ?? ['', '', ''];
  const kv = extensionPairs(row);
  const get = (key: string): string => kv.get(`FortinetFortiGate${key}`) ?? '';
  const srcBytes = intColumn(row, 'SentBytes');
  const dstBytes = intColumn(row, 'ReceivedBytes');
  const srcPackets = kvNumber(kv, 'FortinetFortiGatesentpkt');
  const dstPackets = kvNumber(kv, 'FortinetFortiGatercvdpkt');
  const ruleNumber = kvNumber(kv, 'FortinetFortiGatepolicyid');
  const srcIp = ipColumn(row, 'SourceIP');
  const dstIp = ipColumn(row, 'DestinationIP');
  const sessionId = get('externalID');
  const record: AsimRecord = {
    TimeGenerated: time,
    Type: row.get('Type') || 'CommonSecurityLog',
    EventVendor: 'Fortinet',
    EventProduct: row.get('DeviceProduct'),
    EventProductVersion: row.get('DeviceVersion'),
    EventType: 'NetworkSession',
    EventCount: 1,
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '0.2.3',
    EventMessage: row.get('Activity'),
    EventOriginalSeverity: row.get('LogSeverity'),
    EventSeverity: SEVERITY_LOOKUP[row.get('LogSeverity')] ?? '',
    EventResult: result,
    EventResultDetails: resultDetails,
    EventUid: row.get('_ItemId'),
    EventStartTime: cefTimeToMicrosLoose(get('start'), timezone) ?? time,
    EventEndTime: time,
    Dvc: row.get('Computer'),
    DvcId: row.get('DeviceExternalID'),
    DvcIdType: 'Other',
    DvcAction: dvcAction,
    DvcOriginalAction: action,
    SrcInterfaceName: row.get('DeviceInboundInterface'),
    DstInterfaceName: row.get('DeviceOutboundInterface'),
    SrcZone: get('srcintfrole'),
    DstZone: get('dstintfrole'),
    SrcGeoCountry: get('srccountry'),
    DstGeoCountry: get('dstcountry'),
    ThreatOriginalRiskLevel: get('crscore'),
    NetworkSessionId: sessionId,
    NetworkRuleNumber: ruleNumber,
    Rule: ruleNumber === null ? '' : String(ruleNumber),
    // The parser maps FortiGate's `duration` (seconds) to NetworkDuration unchanged.
    NetworkDuration: kvNumber(kv, 'FortinetFortiGateduration'),
    NetworkProtocol: resolveProtocol(row.get('Protocol')),
    NetworkProtocolVersion: dstIp.includes('.') ? 'IPv4' : dstIp.includes(':') ? 'IPv6' : '',
    SrcBytes: srcBytes,
    DstBytes: dstBytes,
    NetworkBytes: sumOrNull(dstBytes, srcBytes),
    SrcPackets: srcPackets,
    DstPackets: dstPackets,
    NetworkPackets: sumOrNull(dstPackets, srcPackets),
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    SrcPortNumber: portColumn(row, 'SourcePort'),
    DstPortNumber: portColumn(row, 'DestinationPort'),
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
  };
  return { records: [record] };
}

export const fortiGateMapper: CefVendorMapper = {
  name: 'Fortinet FortiGate',
  asimParser: 'vimNetworkSessionFortinetFortiGate',
  claims: (row) => row.get('DeviceVendor') === 'Fortinet' && row.get('DeviceProduct').toLowerCase().startsWith('fortigate'),
  map(row, timezone) {
    if (!isSelectedTraffic(row)) return { ignored: 'FortiGate event that is not traffic, or is DNS (the parser keeps non-DNS traffic)' };
    return map(row, timezone);
  },
};
