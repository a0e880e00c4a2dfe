/**
 * The CommonSecurityLog row every CEF vendor mapper reads, whether it came from a CEF syslog line (mapped to
 * columns as Sentinel's CEF connector does) or from a CommonSecurityLog export. Mappers are written against
 * column names, as the ASIM parsers are.
 */
import type { AsimRecord, Micros } from '../../asim/record.js';
import { FieldError, ipAddress, portNumber, wholeNumber } from './common.js';

export interface CslRow {
  readonly line: number;
  readonly raw: string;
  /** A column as Kusto reads a string column: "" when absent. */
  get(column: string): string;
  /** A datetime column; null when empty; a FieldError when not a time. */
  time(column: string): Micros | null;
  /** `TimeGenerated`: the export's column, or for a CEF line `rt` else the syslog header time. */
  readonly timeGenerated: Micros | null;
  /** Whether the column exists at all (Kusto `column_ifexists`). */
  has(column: string): boolean;
}

/** What a vendor mapper makes of a row: records, or a reason the ASIM parser drops it. */
export type MapResult = { readonly records: AsimRecord[] } | { readonly ignored: string };

export interface CefVendorMapper {
  /** e.g. `Palo Alto PAN-OS`. */
  readonly name: string;
  readonly asimParser: string;
  /** Whether rows of this vendor/product belong to this mapper (selected or not). */
  claims(row: CslRow): boolean;
  map(row: CslRow, timezone: string | undefined): MapResult;
}

/**
 * CEF extension keys → CommonSecurityLog columns (https://learn.microsoft.com/azure/sentinel/cef-name-mapping).
 * Keys not listed here are kept in `AdditionalExtensions`.
 */
export const CEF_KEY_TO_COLUMN: Readonly<Record<string, string>> = {
  act: 'DeviceAction',
  app: 'ApplicationProtocol',
  cat: 'DeviceEventCategory',
  cnt: 'EventCount',
  cn1: 'DeviceCustomNumber1',
  cn1Label: 'DeviceCustomNumber1Label',
  cn2: 'DeviceCustomNumber2',
  cn2Label: 'DeviceCustomNumber2Label',
  cn3: 'DeviceCustomNumber3',
  cn3Label: 'DeviceCustomNumber3Label',
  cs1: 'DeviceCustomString1',
  cs1Label: 'DeviceCustomString1Label',
  cs2: 'DeviceCustomString2',
  cs2Label: 'DeviceCustomString2Label',
  cs3: 'DeviceCustomString3',
  cs3Label: 'DeviceCustomString3Label',
  cs4: 'DeviceCustomString4',
  cs4Label: 'DeviceCustomString4Label',
  cs5: 'DeviceCustomString5',
  cs5Label: 'DeviceCustomString5Label',
  cs6: 'DeviceCustomString6',
  cs6Label: 'DeviceCustomString6Label',
  c6a1: 'DeviceCustomIPv6Address1',
  c6a2: 'DeviceCustomIPv6Address2',
  c6a3: 'DeviceCustomIPv6Address3',
  c6a4: 'DeviceCustomIPv6Address4',
  cfp1: 'DeviceCustomFloatingPoint1',
  cfp2: 'DeviceCustomFloatingPoint2',
  cfp3: 'DeviceCustomFloatingPoint3',
  cfp4: 'DeviceCustomFloatingPoint4',
  deviceDirection: 'CommunicationDirection',
  destinationDnsDomain: 'DestinationDnsDomain',
  destinationServiceName: 'DestinationServiceName',
  destinationTranslatedAddress: 'DestinationTranslatedAddress',
  destinationTranslatedPort: 'DestinationTranslatedPort',
  deviceDnsDomain: 'DeviceDnsDomain',
  deviceExternalId: 'DeviceExternalID',
  deviceFacility: 'DeviceFacility',
  deviceInboundInterface: 'DeviceInboundInterface',
  deviceNtDomain: 'DeviceNtDomain',
  deviceOutboundInterface: 'DeviceOutboundInterface',
  devicePayloadId: 'DevicePayloadId',
  deviceProcessName: 'ProcessName',
  deviceTranslatedAddress: 'DeviceTranslatedAddress',
  dhost: 'DestinationHostName',
  dmac: 'DestinationMACAddress',
  dntdom: 'DestinationNTDomain',
  dpid: 'DestinationProcessId',
  dpriv: 'DestinationUserPrivileges',
  dproc: 'DestinationProcessName',
  dpt: 'DestinationPort',
  dst: 'DestinationIP',
  dtz: 'DeviceTimeZone',
  duid: 'DestinationUserID',
  duser: 'DestinationUserName',
  dvc: 'DeviceAddress',
  dvchost: 'DeviceName',
  dvcmac: 'DeviceMacAddress',
  dvcpid: 'ProcessID',
  end: 'EndTime',
  externalId: 'ExternalID',
  fileHash: 'FileHash',
  fileId: 'FileID',
  filePath: 'FilePath',
  fname: 'FileName',
  fsize: 'FileSize',
  fileType: 'FileType',
  flexNumber1: 'FlexNumber1',
  flexNumber1Label: 'FlexNumber1Label',
  flexNumber2: 'FlexNumber2',
  flexNumber2Label: 'FlexNumber2Label',
  flexString1: 'FlexString1',
  flexString1Label: 'FlexString1Label',
  flexString2: 'FlexString2',
  flexString2Label: 'FlexString2Label',
  in: 'ReceivedBytes',
  msg: 'Message',
  out: 'SentBytes',
  outcome: 'EventOutcome',
  proto: 'Protocol',
  reason: 'Reason',
  request: 'RequestURL',
  requestClientApplication: 'RequestClientApplication',
  requestContext: 'RequestContext',
  requestCookies: 'RequestCookies',
  requestMethod: 'RequestMethod',
  rt: 'ReceiptTime',
  shost: 'SourceHostName',
  smac: 'SourceMACAddress',
  sntdom: 'SourceNTDomain',
  sourceDnsDomain: 'SourceDnsDomain',
  sourceServiceName: 'SourceServiceName',
  sourceTranslatedAddress: 'SourceTranslatedAddress',
  sourceTranslatedPort: 'SourceTranslatedPort',
  spid: 'SourceProcessId',
  spriv: 'SourceUserPrivileges',
  sproc: 'SourceProcessName',
  spt: 'SourcePort',
  src: 'SourceIP',
  start: 'StartTime',
  suid: 'SourceUserID',
  suser: 'SourceUserName',
};

/**
 * Vendor key prefixes the Sentinel agent spells out in `AdditionalExtensions` (FortiGate's `FTNTFGTpolicyid`
 * is read by the FortiGate parser as `FortinetFortiGatepolicyid`).
 */
export const EXTENSION_PREFIX_RENAMES: ReadonlyArray<readonly [string, string]> = [['FTNTFGT', 'FortinetFortiGate']];

// ---------------------------------------------------------------- typed column readers

export function intColumn(row: CslRow, column: string): number | null {
  return wholeNumber(row.get(column), column, { allowFraction: true });
}

export function portColumn(row: CslRow, column: string): number | null {
  return portNumber(row.get(column), column);
}

export function ipColumn(row: CslRow, column: string): string {
  return ipAddress(row.get(column), column);
}

/** A required TimeGenerated. */
export function timeGenerated(row: CslRow): Micros {
  if (row.timeGenerated === null) throw new FieldError('TimeGenerated', 'no event time (TimeGenerated, rt, or a syslog timestamp)');
  return row.timeGenerated;
}

/** Kusto `extract(@'key=(.*?)(?:;|$)', 1, AdditionalExtensions)`. */
export function extensionValue(row: CslRow, key: string): string {
  const match = new RegExp(`${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=(.*?)(?:;|$)`).exec(row.get('AdditionalExtensions'));
  return match?.[1] ?? '';
}

/** Kusto `parse-kv AdditionalExtensions as (...) with (pair_delimiter=';', kv_delimiter='=')`: first value per key. */
export function extensionPairs(row: CslRow): ReadonlyMap<string, string> {
  const pairs = new Map<string, string>();
  for (const pair of row.get('AdditionalExtensions').split(';')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    if (!pairs.has(key)) pairs.set(key, pair.slice(at + 1));
  }
  return pairs;
}

/** The device name split as the Palo Alto and generic parsers split it (host, domain, FQDN). */
export function deviceNameParts(name: string, prefix: 'Dvc' | 'Src' | 'Dst'): AsimRecord {
  const elements = name.split('.');
  const dotted = name.includes('.');
  return {
    [`${prefix}Hostname`]: elements[0] ?? '',
    [`${prefix}Domain`]: elements.slice(1).join('.'),
    [`${prefix}FQDN`]: dotted ? name : '',
    [`${prefix}DomainType`]: dotted ? 'FQDN' : '',
  };
}

/** `case(isempty(u), "", u contains "@", "UPN", "Simple")` as the Palo Alto parser types user names. */
export function simpleUsernameType(name: string): string {
  if (name === '') return '';
  return name.includes('@') ? 'UPN' : 'Simple';
}
