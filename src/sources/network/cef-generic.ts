/**
 * Every other CEF vendor, mapped as `ASimNetworkSessionGenericCEF` (0.1) maps CommonSecurityLog. That parser
 * is not part of Sentinel's `_Im_NetworkSession` union; smbwatch uses it so that any firewall speaking CEF
 * yields records. Selection: SourceIP and DestinationIP both set (else `ignored`). Reproduced as written
 * upstream, including `EventSchemaVersion` "2.2" and EventResult Failure for every action but Allow.
 */
import type { AsimRecord } from '../../asim/record.js';
import { deviceNameParts, intColumn, ipColumn, portColumn, timeGenerated, type CefVendorMapper, type CslRow, type MapResult } from './cef-csl.js';
import { protocolNames } from './common.js';
import { kustoHasAny } from './kusto-text.js';

/** DvcAction by the terms of DeviceAction, first match wins (the parser's `case`). */
const ACTION_TERMS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Allow', ['allow', 'allowed', 'permit', 'accept', 'start']],
  ['Reset', ['reset', 'rst']],
  ['Deny', ['deny', 'denied']],
  ['Drop', ['drop', 'block', 'blocked', 'dropped', 'close', 'closed']],
];

const DIRECTIONS: Readonly<Record<string, string>> = { '0': 'Inbound', '1': 'Outbound' };

/** `case(u contains "@", "UPN", u contains "\\", "Windows", u contains "OU=", "DN", u !contains " ", "Simple", …)`. */
function usernameType(name: string): string {
  const lower = name.toLowerCase();
  if (lower.includes('@')) return 'UPN';
  if (lower.includes('\\')) return 'Windows';
  if (lower.includes('ou=')) return 'DN';
  if (!lower.includes(' ')) return 'Simple';
  return 'GivenName';
}

function map(row: CslRow): AsimRecord[] {
  const time = timeGenerated(row);
  const action = row.get('DeviceAction');
  const dvcAction = ACTION_TERMS.find(([, terms]) => kustoHasAny(action, terms))?.[0] ?? '';
  const protocol = row.get('Protocol');
  const numeric = /^\s*-?\d+\s*$/.test(protocol) ? Number(protocol) : null;
  // lookup on the numeric protocol (84 has two names upstream: two rows); coalesce(name, toupper(Protocol)).
  const names = protocolNames(numeric);
  const protocols = names.length === 0 ? [''] : names;
  const srcIp = ipColumn(row, 'SourceIP');
  const dstIp = ipColumn(row, 'DestinationIP');
  const srcUser = row.get('SourceUserName');
  const base: AsimRecord = {
    TimeGenerated: time,
    Type: row.get('Type') || 'CommonSecurityLog',
    EventVendor: row.get('DeviceVendor'),
    EventProduct: row.get('DeviceProduct'),
    EventProductVersion: row.get('DeviceVersion'),
    EventType: 'NetworkSession',
    EventCount: 1,
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '2.2',
    EventStartTime: time,
    EventEndTime: time,
    EventMessage: row.get('Message'),
    EventSeverity: dvcAction === 'Allow' ? 'Informational' : 'Low',
    EventResult: dvcAction === 'Allow' ? 'Success' : 'Failure',
    Dvc: row.get('DeviceName'),
    ...deviceNameParts(row.get('DeviceName'), 'Dvc'),
    ...deviceNameParts(row.get('SourceHostName'), 'Src'),
    ...deviceNameParts(row.get('DestinationHostName'), 'Dst'),
    DvcMacAddr: row.get('DeviceMacAddress'),
    DvcInboundInterface: row.get('DeviceInboundInterface'),
    DvcOutboundInterface: row.get('DeviceOutboundInterface'),
    DvcAction: dvcAction,
    DvcOriginalAction: action,
    NetworkDirection: DIRECTIONS[row.get('CommunicationDirection')] ?? '',
    NetworkApplicationProtocol: row.get('ApplicationProtocol'),
    SrcBytes: intColumn(row, 'SentBytes'),
    DstBytes: intColumn(row, 'ReceivedBytes'),
    SrcMacAddr: row.get('SourceMACAddress'),
    DstMacAddr: row.get('DestinationMACAddress'),
    SrcNatIpAddr: ipColumn(row, 'SourceTranslatedAddress'),
    DstNatIpAddr: ipColumn(row, 'DestinationTranslatedAddress'),
    SrcNatPortNumber: portColumn(row, 'SourceTranslatedPort'),
    DstNatPortNumber: portColumn(row, 'DestinationTranslatedPort'),
    SrcUsername: srcUser,
    DstUsername: row.get('DestinationUserName'),
    SrcUsernameType: usernameType(srcUser),
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    SrcPortNumber: portColumn(row, 'SourcePort'),
    DstPortNumber: portColumn(row, 'DestinationPort'),
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
  };
  return protocols.map((name) => ({ ...base, NetworkProtocol: name || protocol.toUpperCase() }));
}

export const genericCefMapper: CefVendorMapper = {
  name: 'Generic CEF',
  asimParser: 'ASimNetworkSessionGenericCEF',
  claims: () => true,
  map(row: CslRow): MapResult {
    if (row.get('SourceIP') === '' || row.get('DestinationIP') === '') {
      return { ignored: `${row.get('DeviceVendor') || 'CEF'} event without SourceIP and DestinationIP (not a network session)` };
    }
    return { records: map(row) };
  },
};
