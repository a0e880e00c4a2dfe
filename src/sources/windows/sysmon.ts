/**
 * Sysmon Event ID 3 (network connection) → ASIM NetworkSession, as Sentinel's
 * `vimNetworkSessionMicrosoftSysmon` (Event table, 0.1.1) and `vimNetworkSessionMicrosoftSysmonWindowsEvent`
 * (WindowsEvent table, 0.1.1) map it.
 *
 * Count-relevant behaviour reproduced from the parsers:
 * - every EID 3 event is one record: Sysmon logs the same connection on both endpoints (client
 *   `Initiated=true`, server `Initiated=false`), both with the client as `SourceIp` and the server port as
 *   `DestinationPort`, and nothing swaps or de-duplicates them, so one connection seen by two Sysmon hosts
 *   is two records with the same Src/Dst;
 * - EventResult is always `Success`; there is no DvcAction.
 * Field quirks reproduced (they do not change counts but do change values):
 * - process and user fields go to `Dst*` when `Initiated` is true and to `Src*` when false (sic);
 *   `Hostname`/`DvcHostname` come from `DestinationHostname` when Initiated, `SourceHostname` otherwise;
 * - the WindowsEvent variant reads `EventData.SrcHostname`, a field Sysmon does not have, so its
 *   `SrcHostname` is always empty;
 * - a null `Initiated` (missing or not a boolean) fills neither side, as Kusto's `iff(null, …)` does.
 */
import type { AsimRecord } from '../../asim/record.js';
import { isoToMicros } from '../../util/time.js';
import type { WindowsEvent } from './event.js';
import { dashToEmpty, iff, kustoBool, kustoInt, not, putAll, putResolvedHost, stripBraces } from './kusto-values.js';
import { type Mapped, timeGeneratedOf } from './mapped.js';

/** Which of the two Windows Sysmon parsers applies: `Event` also covers raw events (see dispatch.ts). */
export type SysmonVariant = 'Event' | 'WindowsEvent';

const SYSMON_CONSTANTS = {
  EventCount: 1,
  EventVendor: 'Microsoft',
  EventProduct: 'Sysmon',
  EventSchema: 'NetworkSession',
  EventSchemaVersion: '0.2.5',
  EventType: 'EndpointNetworkSession',
  EventResult: 'Success',
  EventSeverity: 'Informational',
  EventOriginalType: '3',
  DvcOs: 'Windows',
} as const;

export function mapSysmonNetworkConnection(event: WindowsEvent, variant: SysmonVariant): Mapped {
  const timeGenerated = timeGeneratedOf(event);
  if (typeof timeGenerated !== 'number') return timeGenerated;
  const data = event.data;
  const initiated = kustoBool(data.get('Initiated'));
  const outbound = initiated;
  const inbound = not(initiated);

  const srcIp = data.text('SourceIp');
  const dstIp = data.text('DestinationIp');
  const srcHostRaw = variant === 'WindowsEvent' ? data.text('SrcHostname') : data.text('SourceHostname');
  const dstHostRaw = data.text('DestinationHostname');
  // Hostname = case(Initiated, DstHostname, not(Initiated), SrcHostname, Dvc): left as read, "-" included.
  const hostname = initiated === true ? dstHostRaw : initiated === false ? srcHostRaw : event.computer;
  const image = data.text('Image');
  const appName = image.split('\\').at(-1) ?? '';
  const user = data.text('User');
  const processId = data.text('ProcessId');
  const processGuid = stripBraces(data.text('ProcessGuid'));
  const utcTime = isoToMicros(data.text('UtcTime'));
  const ipv6 = kustoBool(data.get('SourceIsIpv6')) === true || kustoBool(data.get('DestinationIsIpv6')) === true;

  const record: AsimRecord = { TimeGenerated: timeGenerated };
  putAll(record, SYSMON_CONSTANTS);
  putAll(record, {
    Type: variant,
    _ResourceId: event.resourceId,
    EventStartTime: utcTime,
    EventEndTime: utcTime,
    Dvc: event.computer,
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    SrcPortNumber: kustoInt(data.get('SourcePort')),
    DstPortNumber: kustoInt(data.get('DestinationPort')),
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    DvcIpAddr: iff(initiated, srcIp, dstIp),
    Hostname: hostname,
    NetworkProtocol: data.text('Protocol').toUpperCase(),
    NetworkProtocolVersion: ipv6 ? 'IPV6' : 'IPV4',
    NetworkRuleName: data.text('RuleName'),
    SrcUsernameType: iff(inbound, 'Windows', ''),
    SrcUsername: iff(inbound, user, ''),
    SrcProcessId: iff(inbound, processId, ''),
    SrcProcessGuid: iff(inbound, processGuid, ''),
    SrcProcessName: iff(inbound, image, ''),
    SrcAppName: iff(inbound, appName, ''),
    SrcAppType: iff(inbound, 'Process', ''),
    DstUsernameType: iff(outbound, 'Windows', ''),
    DstUsername: iff(outbound, user, ''),
    DstProcessId: iff(outbound, processId, ''),
    DstProcessGuid: iff(outbound, processGuid, ''),
    DstProcessName: iff(outbound, image, ''),
    DstAppName: iff(outbound, appName, ''),
    DstAppType: iff(outbound, 'Process', ''),
  });
  putResolvedHost(record, 'Src', dashToEmpty(srcHostRaw));
  putResolvedHost(record, 'Dvc', dashToEmpty(hostname));
  putResolvedHost(record, 'Dst', dashToEmpty(dstHostRaw));
  return { kind: 'record', record };
}
