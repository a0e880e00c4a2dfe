/**
 * Sysmon for Linux Event ID 3 → ASIM NetworkSession, as Sentinel's `vimNetworkSessionLinuxSysmon` (0.4)
 * maps the `Syslog` rows whose SyslogMessage holds the event XML.
 *
 * Behaviour reproduced from the parser:
 * - one record per EID 3 event, EventResult `Success`, EventType `NetworkSession` (not Endpoint…);
 * - direction: Outbound when SourceIp equals the Syslog row's `HostIP` or is 127.0.0.1 / 0.0.0.0, else
 *   Inbound; Src/Dst are never swapped. A raw syslog line has no HostIP, so only the loopback/any
 *   addresses make an event Outbound there (documented in docs/sources/windows.md);
 * - the process and user fields go to the `Src*` side for outbound events and to `Dst*` for inbound ones.
 * The parser reads the XML with one positional `parse` pattern; we read the `<Data>` fields by name, which
 * gives the same values for the fixed field order Sysmon for Linux writes.
 */
import type { AsimRecord } from '../../asim/record.js';
import { isoToMicros } from '../../util/time.js';
import type { WindowsEvent } from './event.js';
import { kustoInt, putAll, stripBraces } from './kusto-values.js';
import { type Mapped, timeGeneratedOf } from './mapped.js';

const LINUX_SYSMON_CONSTANTS = {
  EventCount: 1,
  EventVendor: 'Microsoft',
  EventProduct: 'Sysmon for Linux',
  EventSchema: 'NetworkSession',
  EventSchemaVersion: '0.2.3',
  EventType: 'NetworkSession',
  EventResult: 'Success',
  EventSeverity: 'Informational',
  EventOriginalType: '3',
  DvcOs: 'Linux',
  Type: 'Syslog',
} as const;

const ALWAYS_LOCAL_SOURCES: ReadonlySet<string> = new Set(['127.0.0.1', '0.0.0.0']);

export function mapLinuxSysmonNetworkConnection(event: WindowsEvent): Mapped {
  const timeGenerated = timeGeneratedOf(event);
  if (typeof timeGenerated !== 'number') return timeGenerated;
  const data = event.data;
  const srcIp = data.text('SourceIp');
  const hostIp = event.hostIp ?? '';
  const outbound = (hostIp !== '' && srcIp === hostIp) || ALWAYS_LOCAL_SOURCES.has(srcIp);
  const side = outbound ? 'Src' : 'Dst';
  const utcTime = isoToMicros(data.text('UtcTime'));
  const dstIp = data.text('DestinationIp');
  const dstHostname = data.text('DestinationHostname');
  const image = data.text('Image');

  const record: AsimRecord = { TimeGenerated: timeGenerated };
  putAll(record, LINUX_SYSMON_CONSTANTS);
  putAll(record, {
    _ResourceId: event.resourceId,
    EventStartTime: utcTime,
    EventEndTime: utcTime,
    EventOriginalUid: event.recordId,
    DvcHostname: event.computer,
    Dvc: event.computer,
    DvcIpAddr: hostIp,
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    SrcHostname: data.text('SourceHostname'),
    DstHostname: dstHostname,
    Hostname: dstHostname,
    SrcPortNumber: kustoInt(data.get('SourcePort')),
    DstPortNumber: kustoInt(data.get('DestinationPort')),
    NetworkProtocol: data.text('Protocol').toUpperCase(),
    NetworkDirection: outbound ? 'Outbound' : 'Inbound',
    [`${side}UsernameType`]: 'Simple',
    [`${side}Username`]: data.text('User'),
    [`${side}AppType`]: 'Process',
    [`${side}ProcessId`]: data.text('ProcessId'),
    [`${side}ProcessGuid`]: stripBraces(data.text('ProcessGuid')),
    [`${side}ProcessName`]: image,
    [`${side}AppName`]: image,
  });
  return { kind: 'record', record };
}
