/**
 * Windows Filtering Platform audit events 5150–5159 (Security log) → ASIM NetworkSession, as Sentinel's
 * `vimNetworkSessionMicrosoftSecurityEventFirewall` (SecurityEvent, 0.5.0) and the WindowsEvent branch of
 * `vimNetworkSessionMicrosoftWindowsEventFirewall` (0.4) map them.
 *
 * Count-relevant behaviour reproduced from the parsers:
 * - **no swap by direction**: Src/Dst are the event's SourceAddress/DestAddress whatever `Direction` says.
 *   WFP writes the client as source on both ends (outbound 5156 on the client, inbound 5156 on the server),
 *   so one connection audited on both hosts is two records with the same Src/Dst;
 * - which event IDs become records depends on the table: SecurityEvent takes 5152 and 5154–5159,
 *   WindowsEvent takes 5150–5159 (see `selectsFirewallEvent`);
 * - DvcAction is Allow iff the ID is 5154, 5156 or 5158, else Deny; EventResult Success/Failure likewise;
 * - the listen/bind events 5154, 5155, 5158, 5159 get direction `Listen` and no DstIpAddr/DstPortNumber
 *   (the SecurityEvent parser does not even read them).
 * - the SecurityEvent parser reads EventData with one fixed `parse` pattern per group of IDs; when an event
 *   lacks a field of its pattern (e.g. a version-0 5156 without RemoteUserID/RemoteMachineID) or an `:int`
 *   field is not a number, Kusto's `parse` fails and every field it extracts is empty — the record is kept
 *   with empty addresses and ports. We reproduce that by field presence (names matched without regard to
 *   case and whitespace, which the real pattern does not forgive; documented in docs/sources/windows.md).
 */
import type { AsimRecord } from '../../asim/record.js';
import type { EventData, WindowsEvent } from './event.js';
import { iff, kustoInt, not, putAll } from './kusto-values.js';
import { type Mapped, timeGeneratedOf } from './mapped.js';

export type FirewallTable = 'SecurityEvent' | 'WindowsEvent';

/** Direction codes of the WFP message table, as the parsers' `Directions` datatable. */
export const DIRECTIONS: ReadonlyMap<string, { readonly direction: string; readonly outbound: boolean }> = new Map([
  ['%%14592', { direction: 'Inbound', outbound: false }],
  ['%%14593', { direction: 'Outbound', outbound: true }],
  ['%%14594', { direction: 'Forward', outbound: false }],
  ['%%14595', { direction: 'Bidirectional', outbound: false }],
  ['%%14609', { direction: 'Listen', outbound: false }],
]);

/** The parsers' `ProtocolTable`: IANA numbers they name; any other number gives an empty NetworkProtocol. */
export const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'ICMP'],
  [3, 'GGP'],
  [6, 'TCP'],
  [8, 'EGP'],
  [12, 'PUP'],
  [17, 'UDP'],
  [20, 'HMP'],
  [27, 'RDP'],
  [46, 'RSVP'],
  [47, 'PPTP data over GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [66, 'RVD'],
  [88, 'IGMP'],
  [89, 'OSPF'],
]);

const ALLOWED_IDS: ReadonlySet<number> = new Set([5154, 5156, 5158]);
const LISTEN_OR_BIND_IDS: ReadonlySet<number> = new Set([5154, 5155, 5158, 5159]);
const SECURITY_EVENT_IDS: ReadonlySet<number> = new Set([5152, 5154, 5155, 5156, 5157, 5158, 5159]);

/** Whether the firewall parser for this table turns this event ID into a record. */
export function selectsFirewallEvent(table: FirewallTable, eventId: number): boolean {
  return table === 'SecurityEvent' ? SECURITY_EVENT_IDS.has(eventId) : eventId >= 5150 && eventId <= 5159;
}

/** The fields one SecurityEvent `parse` pattern extracts, in order; `int` ones must be numbers. */
interface ParsePattern {
  readonly fields: readonly string[];
  readonly ints: readonly string[];
}

const SECURITY_EVENT_PATTERNS: ReadonlyArray<{ readonly ids: readonly number[]; readonly pattern: ParsePattern }> = [
  {
    ids: [5152],
    pattern: {
      fields: ['ProcessId', 'Application', 'Direction', 'SourceAddress', 'SourcePort', 'DestAddress', 'DestPort', 'Protocol', 'FilterRTID', 'LayerName', 'LayerRTID'],
      ints: ['SourcePort', 'DestPort', 'Protocol', 'FilterRTID'],
    },
  },
  {
    ids: [5154, 5155, 5158, 5159],
    pattern: {
      fields: ['ProcessId', 'Application', 'SourceAddress', 'SourcePort', 'Protocol', 'FilterRTID', 'LayerName', 'LayerRTID'],
      ints: ['SourcePort', 'Protocol', 'FilterRTID'],
    },
  },
  {
    ids: [5156, 5157],
    pattern: {
      fields: ['ProcessID', 'Application', 'Direction', 'SourceAddress', 'SourcePort', 'DestAddress', 'DestPort', 'Protocol', 'FilterRTID', 'LayerName', 'LayerRTID', 'RemoteUserID', 'RemoteMachineID'],
      ints: ['SourcePort', 'DestPort', 'Protocol', 'FilterRTID'],
    },
  },
];

/** The EventData fields one event contributes, as its parser would read them (absent = not extracted). */
type Extracted = (name: string) => string;

function securityEventFields(eventId: number, data: EventData): Extracted {
  const pattern = SECURITY_EVENT_PATTERNS.find((entry) => entry.ids.includes(eventId))?.pattern;
  if (!pattern) return () => '';
  const matched =
    pattern.fields.every((name) => data.has(name)) && pattern.ints.every((name) => kustoInt(data.get(name)) !== null);
  if (!matched) return () => '';
  const extracted = new Set(pattern.fields.map((name) => name.toLowerCase()));
  return (name) => (extracted.has(name.toLowerCase()) ? data.text(name) : '');
}

function windowsEventFields(data: EventData): Extracted {
  return (name) => data.text(name);
}

const FIREWALL_CONSTANTS = {
  EventCount: 1,
  EventVendor: 'Microsoft',
  EventProduct: 'Windows Firewall',
  EventSchema: 'NetworkSession',
  EventSchemaVersion: '0.2.3',
  EventType: 'NetworkSession',
  DvcOs: 'Windows',
  SrcAppType: 'Process',
  DstAppType: 'Process',
} as const;

const NULL_SID = 'S-1-0-0';

export function mapFirewallEvent(event: WindowsEvent, eventId: number, table: FirewallTable): Mapped {
  const timeGenerated = timeGeneratedOf(event);
  if (typeof timeGenerated !== 'number') return timeGenerated;
  const field = table === 'SecurityEvent' ? securityEventFields(eventId, event.data) : windowsEventFields(event.data);
  const allowed = ALLOWED_IDS.has(eventId);
  const directionCode = LISTEN_OR_BIND_IDS.has(eventId) ? '%%14609' : field('Direction');
  const direction = DIRECTIONS.get(directionCode);
  const isOutbound: boolean | null = direction ? direction.outbound : null;
  const isInbound = not(isOutbound);

  const dvcHostname = event.computer;
  const srcIp = field('SourceAddress');
  const dstIp = field('DestAddress');
  const application = field('Application');
  const processId = field('ProcessID');
  const remoteUserId = field('RemoteUserID');
  const remoteMachineId = field('RemoteMachineID');
  const srcUserId = iff(isInbound, remoteUserId, '');
  const dstUserId = iff(isOutbound, remoteUserId, '');
  const srcDvcId = iff(isOutbound, remoteMachineId, '');
  const dstDvcId = iff(isInbound, remoteMachineId, '');
  const ruleNumber = kustoInt(field('FilterRTID'));
  const protocolNumber = kustoInt(field('Protocol'));

  const record: AsimRecord = { TimeGenerated: timeGenerated };
  putAll(record, FIREWALL_CONSTANTS);
  putAll(record, {
    Type: table,
    _ResourceId: event.resourceId,
    EventStartTime: timeGenerated,
    EventEndTime: timeGenerated,
    EventResult: allowed ? 'Success' : 'Failure',
    EventSeverity: allowed ? 'Informational' : 'Low',
    DvcAction: allowed ? 'Allow' : 'Deny',
    DvcHostname: dvcHostname,
    Dvc: dvcHostname,
    Hostname: dvcHostname,
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    SrcPortNumber: kustoInt(field('SourcePort')),
    DstPortNumber: kustoInt(field('DestPort')),
    NetworkDirection: direction?.direction ?? '',
    NetworkProtocol: protocolNumber === null ? '' : (PROTOCOL_NAMES.get(protocolNumber) ?? ''),
    NetworkRuleNumber: ruleNumber,
    Rule: ruleNumber === null ? '' : String(ruleNumber),
    SrcAppName: iff(isOutbound, application, ''),
    DstAppName: iff(isInbound, application, ''),
    SrcProcessId: iff(isOutbound, processId, ''),
    DstProcessId: iff(isInbound, processId, ''),
    SrcHostname: iff(isOutbound, dvcHostname, ''),
    DstHostname: iff(isOutbound, '', dvcHostname),
    SrcDvcId: srcDvcId,
    DstDvcId: dstDvcId,
    SrcDvcIdType: srcDvcId !== '' ? 'SID' : '',
    DstDvcIdType: dstDvcId !== '' ? 'SID' : '',
    // The parsers test `UserId <> "S-1-0-0"`, which is also true for an empty id: the type says SID then.
    SrcUserIdType: srcUserId !== NULL_SID ? 'SID' : '',
    SrcUserId: srcUserId !== NULL_SID ? srcUserId : '',
    DstUserIdType: dstUserId !== NULL_SID ? 'SID' : '',
    DstUserId: dstUserId !== NULL_SID ? dstUserId : '',
  });
  return { kind: 'record', record };
}
