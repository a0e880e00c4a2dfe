/**
 * Suricata EVE JSON (`eve.json`, one event per line): `flow` events become ASIM NetworkSession records.
 *
 * Sentinel has no ASIM parser for Suricata, so this mapping is smbwatch's own, in the spirit of the closest
 * upstream parser, Corelight/Zeek `conn` (a passive sensor's per-connection record): EventType `Flow`, schema
 * 0.2.4, one record per flow event, `src_*` = initiator, `dest_*` = responder. Times: a flow event is written
 * when the flow ends, so TimeGenerated = EventStartTime = `flow.start` and EventEndTime = `flow.end`.
 * Other event types (alert, dns, smb, netflow, stats, …) are `ignored`.
 * `flow_id` is a 64-bit integer that a JavaScript number cannot hold exactly: it is read from the text.
 */
import type { AsimRecord } from '../../asim/record.js';
import { isoToMicros } from '../../util/time.js';
import { mapLines } from '../lines.js';
import type { ContentSample, Line, ParseEvent, SniffVerdict, SourceFormat } from '../types.js';
import { FieldError, ignored, ipAddress, ipVersion, portNumber, recordEvent, reject, sumOrNull, text, wholeNumber } from './common.js';
import { parseJson } from '../json-depth.js';

type Json = Record<string, unknown>;

/** Suricata writes `+0000` offsets, which ISO 8601 parsers read as `+00:00`. */
function eveTime(value: unknown, field: string): number | null {
  const raw = text(value);
  if (raw === '') return null;
  const micros = isoToMicros(raw);
  if (micros === null) throw new FieldError(field, `${field} is not an EVE timestamp: ${JSON.stringify(raw)}`);
  return micros;
}

/** TCP: a flow that never left `new` saw no handshake complete. */
function eventResult(protocol: string, state: string): string {
  if (protocol === 'TCP' && state === 'new') return 'Failure';
  return 'Success';
}

const ACTIONS: Readonly<Record<string, string>> = { allowed: 'Allow', pass: 'Allow', drop: 'Drop', blocked: 'Drop' };

/** `app_proto` upper-cased as ASIM wants; Suricata's "failed" (detection failed) means none. */
function applicationProtocol(value: string): string {
  return value === '' || value === 'failed' || value === 'unknown' ? '' : value.toUpperCase();
}

const FLOW_ID = /"flow_id"\s*:\s*(-?\d+)/;

function tcpFlags(tcp: Json | undefined): AsimRecord {
  if (!tcp) return {};
  const flag = (name: string): boolean | null => (typeof tcp[name] === 'boolean' ? (tcp[name] as boolean) : null);
  return {
    TcpFlagsSyn: flag('syn'),
    TcpFlagsAck: flag('ack'),
    TcpFlagsFin: flag('fin'),
    TcpFlagsRst: flag('rst'),
    TcpFlagsPsh: flag('psh'),
    TcpFlagsUrg: flag('urg'),
    TcpFlagsEce: flag('ece'),
    TcpFlagsCwr: flag('cwr'),
  };
}

function flowToRecord(event: Json, rawLine: string): AsimRecord {
  const flow = event.flow as Json;
  const start = eveTime(flow.start, 'flow.start') ?? eveTime(event.timestamp, 'timestamp');
  if (start === null) throw new FieldError('flow.start', 'flow.start and timestamp are both missing');
  const end = eveTime(flow.end, 'flow.end');
  const protocol = text(event.proto).toUpperCase();
  const srcIp = ipAddress(event.src_ip, 'src_ip');
  const dstIp = ipAddress(event.dest_ip, 'dest_ip');
  if (srcIp === '' || dstIp === '') throw new FieldError(srcIp === '' ? 'src_ip' : 'dest_ip', 'a flow event needs src_ip and dest_ip');
  const srcPackets = wholeNumber(flow.pkts_toserver, 'flow.pkts_toserver');
  const dstPackets = wholeNumber(flow.pkts_toclient, 'flow.pkts_toclient');
  const srcBytes = wholeNumber(flow.bytes_toserver, 'flow.bytes_toserver');
  const dstBytes = wholeNumber(flow.bytes_toclient, 'flow.bytes_toclient');
  const state = text(flow.state);
  const action = ACTIONS[text(flow.action)] ?? '';
  const icmpType = wholeNumber(event.icmp_type, 'icmp_type');
  return {
    TimeGenerated: start,
    EventStartTime: start,
    EventEndTime: end,
    EventVendor: 'OISF',
    EventProduct: 'Suricata',
    EventType: 'Flow',
    EventCount: 1,
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '0.2.4',
    EventSeverity: action === 'Drop' ? 'Low' : 'Informational',
    EventResult: action === 'Drop' ? 'Failure' : eventResult(protocol, state),
    EventOriginalResultDetails: [state, text(flow.reason)].filter(Boolean).join(' '),
    EventOriginalType: 'flow',
    Dvc: text(event.host),
    DvcHostname: text(event.host),
    DvcInterface: text(event.in_iface),
    DvcAction: action,
    DvcOriginalAction: text(flow.action),
    NetworkSessionId: FLOW_ID.exec(rawLine)?.[1] ?? text(event.flow_id),
    NetworkProtocol: protocol,
    NetworkProtocolVersion: ipVersion(srcIp),
    NetworkApplicationProtocol: applicationProtocol(text(event.app_proto)),
    NetworkDuration: start !== null && end !== null ? Math.trunc((end - start) / 1000) : null,
    NetworkIcmpType: icmpType === null ? '' : String(icmpType),
    NetworkIcmpCode: wholeNumber(event.icmp_code, 'icmp_code'),
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    SrcPortNumber: portNumber(event.src_port, 'src_port'),
    DstPortNumber: portNumber(event.dest_port, 'dest_port'),
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
    SrcPackets: srcPackets,
    DstPackets: dstPackets,
    SrcBytes: srcBytes,
    DstBytes: dstBytes,
    NetworkPackets: sumOrNull(srcPackets, dstPackets),
    NetworkBytes: sumOrNull(srcBytes, dstBytes),
    SrcVlanId: Array.isArray(event.vlan) && event.vlan.length > 0 ? text(event.vlan[0]) : '',
    ...tcpFlags(event.tcp !== null && typeof event.tcp === 'object' ? (event.tcp as Json) : undefined),
  };
}

function parseLine(line: Line): ParseEvent | undefined {
  const trimmed = line.text.trim();
  if (trimmed === '') return undefined;
  let event: unknown;
  try {
    event = parseJson(trimmed);
  } catch (error) {
    return reject(line.no, line.text, `invalid JSON: ${(error as Error).message}`);
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return reject(line.no, line.text, 'an EVE line is a JSON object', 'event_type');
  const json = event as Json;
  const type = json.event_type;
  if (typeof type !== 'string') return reject(line.no, line.text, 'no event_type: not a Suricata EVE event', 'event_type');
  if (type !== 'flow') return ignored(line.no, `EVE event_type ${type}`);
  if (json.flow === null || typeof json.flow !== 'object') return reject(line.no, line.text, 'flow event without a flow object', 'flow');
  try {
    return recordEvent(line.no, flowToRecord(json, trimmed));
  } catch (error) {
    if (error instanceof FieldError) return reject(line.no, line.text, error.message, error.field);
    throw error;
  }
}

const EVE_LINE = /^\{.*"event_type"\s*:\s*"([a-z_]+)"/;

function sniff(sample: ContentSample): SniffVerdict {
  const lines = sample.lines.filter((line) => line.trim() !== '').slice(0, 50);
  const types = lines.map((line) => EVE_LINE.exec(line.trim())?.[1]).filter((type): type is string => type !== undefined);
  const eve = lines.filter((line) => EVE_LINE.test(line.trim()) && /"(src_ip|flow_id|timestamp)"/.test(line));
  if (eve.length === 0 || eve.length * 2 < lines.length) return { verdict: 'no', reason: 'no Suricata EVE events (event_type with src_ip/flow_id)' };
  const flows = types.filter((type) => type === 'flow').length;
  return { verdict: 'match', reason: `JSON lines with Suricata EVE event_type (${flows} flow event(s) in the first ${lines.length} lines)` };
}

export const suricataEveFormat: SourceFormat = {
  name: 'suricata-eve',
  title: 'Suricata EVE JSON (flow events)',
  asimParser: 'none upstream; smbwatch mapping modelled on vimNetworkSessionCorelightZeek (docs/sources/network.md)',
  detection: 'JSON lines with an "event_type" and src_ip/flow_id/timestamp keys',
  lineBased: true,
  sniff,
  parse: (input) => mapLines(input.lines(), parseLine),
};
