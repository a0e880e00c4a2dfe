/**
 * Palo Alto PAN-OS TRAFFIC over CEF, mapped as `vimNetworkSessionPaloAltoCEF` (0.7.2) maps CommonSecurityLog.
 * Selection: DeviceVendor "Palo Alto Networks", DeviceProduct "PAN-OS", Activity "TRAFFIC" (case-sensitive);
 * other PAN-OS logs (THREAT, SYSTEM, …) are dropped by the parser: `ignored`.
 * Parser details reproduced: packet counts come from `parse AdditionalExtensions with "PanOSPacketsReceived="…`,
 * which is anchored, so they are set only when AdditionalExtensions begins with that key; EventStartTime is
 * StartTime, else `start=` in AdditionalExtensions; EventEndTime = EventStartTime.
 */
import type { AsimRecord } from '../../asim/record.js';
import {
  deviceNameParts,
  extensionValue,
  intColumn,
  ipColumn,
  portColumn,
  simpleUsernameType,
  timeGenerated,
  type CefVendorMapper,
  type CslRow,
  type MapResult,
} from './cef-csl.js';
import { cefTimeToMicrosLoose } from './cef-time.js';
import { kustoParse, STAR, type ParsePart } from './kusto-text.js';

const ACTIONS: Readonly<Record<string, string>> = {
  'reset client': 'Reset Source',
  'reset server': 'Reset Destination',
  'reset both': 'Reset',
  allow: 'Allow',
  deny: 'Deny',
  drop: 'Drop',
  'drop ICMP': 'Drop ICMP',
  'reset-client': 'Reset Source',
  'reset-server': 'Reset Destination',
  'reset-both': 'Reset',
  'drop-icmp': 'Drop ICMP',
};

const PACKETS: readonly ParsePart[] = [
  'PanOSPacketsReceived=',
  { col: 'DstPackets', type: 'long' },
  STAR,
  'PanOSPacketsSent=',
  { col: 'SrcPackets', type: 'long' },
  STAR,
];

/** The first of the "new" (`FieldDeviceCustomNumberN`) and old (`DeviceCustomNumberN`) columns that is set. */
function customNumber(row: CslRow, n: number): number | null {
  return intColumn(row, `FieldDeviceCustomNumber${n}`) ?? intColumn(row, `DeviceCustomNumber${n}`);
}

function map(row: CslRow, timezone: string | undefined): MapResult {
  const time = timeGenerated(row);
  const packets = kustoParse(row.get('AdditionalExtensions'), PACKETS);
  const start = row.time('StartTime') ?? cefTimeToMicrosLoose(extensionValue(row, 'start'), timezone);
  const action = row.get('DeviceAction');
  const srcIp = ipColumn(row, 'SourceIP');
  const dstIp = ipColumn(row, 'DestinationIP');
  const srcUser = row.get('SourceUserName');
  const dstUser = row.get('DestinationUserName');
  const rule = row.get('DeviceCustomString1');
  const dvc = row.get('DeviceName');
  const duration = customNumber(row, 3);
  const sessionId = customNumber(row, 1);
  const record: AsimRecord = {
    TimeGenerated: time,
    Type: row.get('Type') || 'CommonSecurityLog',
    EventVendor: 'Palo Alto',
    EventProduct: 'PanOS',
    EventProductVersion: row.get('DeviceVersion'),
    EventType: 'NetworkSession',
    EventCount: 1,
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '0.2.3',
    EventSeverity: 'Informational',
    EventOriginalSeverity: row.get('LogSeverity'),
    EventResult: action === 'allow' ? 'Success' : 'Failure',
    EventOriginalResultDetails: row.get('Reason') || extensionValue(row, 'reason'),
    EventStartTime: start,
    EventEndTime: start,
    EventMessage: row.get('Message'),
    Dvc: dvc,
    ...deviceNameParts(dvc, 'Dvc'),
    DvcAction: ACTIONS[action] ?? '',
    DvcOriginalAction: action,
    DvcInboundInterface: row.get('DeviceInboundInterface'),
    DvcOutboundInterface: row.get('DeviceOutboundInterface'),
    NetworkApplicationProtocol: row.get('ApplicationProtocol'),
    NetworkProtocol: row.get('Protocol').toUpperCase(),
    NetworkRuleName: rule,
    Rule: rule,
    NetworkBytes: intColumn(row, 'FlexNumber1'),
    NetworkPackets: customNumber(row, 2),
    NetworkSessionId: sessionId === null ? '' : String(sessionId),
    NetworkDuration: duration === null ? null : Math.trunc(1000 * duration),
    SrcZone: row.get('DeviceCustomString4'),
    DstZone: row.get('DeviceCustomString5'),
    SrcUsername: srcUser,
    DstUsername: dstUser,
    SrcUsernameType: simpleUsernameType(srcUser),
    DstUsernameType: simpleUsernameType(dstUser),
    SrcNatIpAddr: ipColumn(row, 'SourceTranslatedAddress'),
    DstNatIpAddr: ipColumn(row, 'DestinationTranslatedAddress'),
    SrcNatPortNumber: portColumn(row, 'SourceTranslatedPort'),
    DstNatPortNumber: portColumn(row, 'DestinationTranslatedPort'),
    SrcBytes: intColumn(row, 'SentBytes'),
    DstBytes: intColumn(row, 'ReceivedBytes'),
    SrcPackets: packets.SrcPackets as number | null,
    DstPackets: packets.DstPackets as number | null,
    SrcMacAddr: row.get('SourceMACAddress'),
    DstMacAddr: row.get('DestinationMACAddress'),
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

export const paloAltoMapper: CefVendorMapper = {
  name: 'Palo Alto PAN-OS',
  asimParser: 'vimNetworkSessionPaloAltoCEF',
  claims: (row) => row.get('DeviceVendor') === 'Palo Alto Networks' && row.get('DeviceProduct') === 'PAN-OS',
  map(row, timezone) {
    if (row.get('Activity') !== 'TRAFFIC') return { ignored: `PAN-OS ${row.get('Activity') || 'event'} (the parser keeps only TRAFFIC)` };
    return map(row, timezone);
  },
};
