/**
 * Zeek conn records → ASIM NetworkSession, shared by the TSV and JSON readers.
 *
 * The readers only deal with syntax: they fill a `ZeekConn` (typed Zeek values) using the field map below,
 * and `zeekConnToAsim` turns it into a record the way Sentinel's parser does. The parser followed is
 * `Azure/Azure-Sentinel: Parsers/ASimNetworkSession/Parsers/vimNetworkSessionCorelightZeek.yaml` (0.2.1,
 * Mar 2024; ASimNetworkSessionCorelightZeek.yaml 0.2 maps the same). Where we depart from it, the comment
 * at the mapping says why.
 */
import type { AsimRecord, Micros } from '../asim/record.js';
import { ASIM_SCHEMA_NAME } from '../asim/schema.js';
import { isoToMicros } from '../util/time.js';

/** The Zeek value kinds we read (Zeek's `#types`, reduced to what changes parsing). */
export type ZeekKind = 'time' | 'string' | 'port' | 'count' | 'interval' | 'bool';

/** One conn record as typed Zeek values. Unset numbers/bools/times are null, unset strings "". */
export interface ZeekConn {
  ts: Micros | null;
  writeTs: Micros | null;
  uid: string;
  origH: string;
  origP: number | null;
  respH: string;
  respP: number | null;
  proto: string;
  service: string;
  duration: number | null;
  origBytes: number | null;
  respBytes: number | null;
  connState: string;
  localOrig: boolean | null;
  localResp: boolean | null;
  history: string;
  origPkts: number | null;
  respPkts: number | null;
  origL2Addr: string;
  respL2Addr: string;
  communityId: string;
  vlan: string;
  innerVlan: string;
  system: string;
}

export interface ZeekFieldSpec {
  /** The Zeek field name as `#fields` and dotted JSON spell it. */
  readonly zeek: string;
  readonly slot: keyof ZeekConn;
  readonly kind: ZeekKind;
  /** Zeek always writes these for conn; a record without one is rejected rather than half-mapped. */
  readonly required: boolean;
}

function field(zeek: string, slot: keyof ZeekConn, kind: ZeekKind, required = false): ZeekFieldSpec {
  return { zeek, slot, kind, required };
}

/**
 * The conn fields the parser reads (its `parse-kv` list), plus `_write_ts` / `_system_name`. Columns not
 * listed (missed_bytes, *_ip_bytes, tunnel_parents, Stratosphere's `label`, …) are carried but not read:
 * the parser maps missed_bytes only to a non-schema column (FlowMissedBytes) our fixed-schema store cannot hold.
 */
export const ZEEK_CONN_FIELDS: readonly ZeekFieldSpec[] = [
  field('ts', 'ts', 'time', true),
  field('_write_ts', 'writeTs', 'time'),
  field('uid', 'uid', 'string'),
  field('id.orig_h', 'origH', 'string', true),
  field('id.orig_p', 'origP', 'port', true),
  field('id.resp_h', 'respH', 'string', true),
  field('id.resp_p', 'respP', 'port', true),
  field('proto', 'proto', 'string'),
  field('service', 'service', 'string'),
  field('duration', 'duration', 'interval'),
  field('orig_bytes', 'origBytes', 'count'),
  field('resp_bytes', 'respBytes', 'count'),
  field('conn_state', 'connState', 'string'),
  field('local_orig', 'localOrig', 'bool'),
  field('local_resp', 'localResp', 'bool'),
  field('history', 'history', 'string'),
  field('orig_pkts', 'origPkts', 'count'),
  field('resp_pkts', 'respPkts', 'count'),
  field('orig_l2_addr', 'origL2Addr', 'string'),
  field('resp_l2_addr', 'respL2Addr', 'string'),
  field('community_id', 'communityId', 'string'),
  field('vlan', 'vlan', 'string'),
  field('inner_vlan', 'innerVlan', 'string'),
  field('_system_name', 'system', 'string'),
];

export const ZEEK_FIELD_BY_NAME: ReadonlyMap<string, ZeekFieldSpec> = new Map(
  ZEEK_CONN_FIELDS.map((spec) => [spec.zeek, spec]),
);

export const REQUIRED_ZEEK_FIELDS: readonly ZeekFieldSpec[] = ZEEK_CONN_FIELDS.filter((spec) => spec.required);

/** Zeek log paths whose records are connections (`conn_red` is Corelight's reduced conn log; the parser takes both). */
export function isConnPath(path: string): boolean {
  return path === 'conn' || path === 'conn_red';
}

export type ZeekValue = ZeekConn[keyof ZeekConn];

/**
 * Stores a parsed value in the slot a field spec names. A switch of named stores rather than
 * `conn[slot] = value`: a keyed store with two dozen different keys is megamorphic in V8 and was the
 * costliest step per cell on multi-million-line logs. The reader has checked the value's kind.
 */
export function setSlot(conn: ZeekConn, slot: keyof ZeekConn, value: ZeekValue): void {
  switch (slot) {
    case 'ts': conn.ts = value as Micros; break;
    case 'writeTs': conn.writeTs = value as Micros; break;
    case 'uid': conn.uid = value as string; break;
    case 'origH': conn.origH = value as string; break;
    case 'origP': conn.origP = value as number; break;
    case 'respH': conn.respH = value as string; break;
    case 'respP': conn.respP = value as number; break;
    case 'proto': conn.proto = value as string; break;
    case 'service': conn.service = value as string; break;
    case 'duration': conn.duration = value as number; break;
    case 'origBytes': conn.origBytes = value as number; break;
    case 'respBytes': conn.respBytes = value as number; break;
    case 'connState': conn.connState = value as string; break;
    case 'localOrig': conn.localOrig = value as boolean; break;
    case 'localResp': conn.localResp = value as boolean; break;
    case 'history': conn.history = value as string; break;
    case 'origPkts': conn.origPkts = value as number; break;
    case 'respPkts': conn.respPkts = value as number; break;
    case 'origL2Addr': conn.origL2Addr = value as string; break;
    case 'respL2Addr': conn.respL2Addr = value as string; break;
    case 'communityId': conn.communityId = value as string; break;
    case 'vlan': conn.vlan = value as string; break;
    case 'innerVlan': conn.innerVlan = value as string; break;
    case 'system': conn.system = value as string; break;
  }
}

export function getSlot(conn: ZeekConn, slot: keyof ZeekConn): ZeekValue {
  return conn[slot];
}

export function emptyConn(): ZeekConn {
  return {
    ts: null,
    writeTs: null,
    uid: '',
    origH: '',
    origP: null,
    respH: '',
    respP: null,
    proto: '',
    service: '',
    duration: null,
    origBytes: null,
    respBytes: null,
    connState: '',
    localOrig: null,
    localResp: null,
    history: '',
    origPkts: null,
    respPkts: null,
    origL2Addr: '',
    respL2Addr: '',
    communityId: '',
    vlan: '',
    innerVlan: '',
    system: '',
  };
}

/** Resets a reused scratch record in place (readers keep one per input: no allocation per line). */
export function resetConn(conn: ZeekConn): void {
  conn.ts = null;
  conn.writeTs = null;
  conn.uid = '';
  conn.origH = '';
  conn.origP = null;
  conn.respH = '';
  conn.respP = null;
  conn.proto = '';
  conn.service = '';
  conn.duration = null;
  conn.origBytes = null;
  conn.respBytes = null;
  conn.connState = '';
  conn.localOrig = null;
  conn.localResp = null;
  conn.history = '';
  conn.origPkts = null;
  conn.respPkts = null;
  conn.origL2Addr = '';
  conn.respL2Addr = '';
  conn.communityId = '';
  conn.vlan = '';
  conn.innerVlan = '';
  conn.system = '';
}

// ---------------------------------------------------------------------------------------------------------
// Lookup tables, as the parser's datatables.

interface ConnStateResult {
  readonly EventResult: string;
  readonly EventResultDetails: string;
  readonly EventOriginalResultDetails: string;
  readonly EventSeverity: string;
}

function result(EventResult: string, EventResultDetails: string, EventOriginalResultDetails: string, EventSeverity: string): ConnStateResult {
  return { EventResult, EventResultDetails, EventOriginalResultDetails, EventSeverity };
}

/**
 * The parser's `ResultLookup`, verbatim (including its misspelt `Rejeced`, so results compare equal to
 * Sentinel's). A conn_state not listed matches no row of the lookup: every column is "".
 */
export const CONN_STATE_RESULTS: ReadonlyMap<string, ConnStateResult> = new Map([
  ['S0', result('Success', '', 'Connection attempt seen, no reply', 'Informational')],
  ['S1', result('Success', '', 'Connection established, not terminated', 'Informational')],
  ['SF', result('Success', 'Terminated', 'Normal establishment and termination', 'Informational')],
  ['REJ', result('Failure', 'Rejeced', 'Connection attempt rejected', 'Low')],
  ['S2', result('Failure', 'Terminated', 'Connection established and close attempt by originator seen (but no reply from responder)', 'Low')],
  ['S3', result('Failure', 'Terminated', 'Connection established and close attempt by responder seen (but no reply from originator)', 'Low')],
  ['RSTO', result('Failure', 'Reset', 'Connection established, originator aborted (sent a RST)', 'Low')],
  ['RSTR', result('Failure', 'Reset', 'Responder sent a RST', 'Low')],
  ['RSTOS0', result('Failure', 'Reset', 'Originator sent a SYN followed by a RST, no SYN-ACK from the responder', 'Low')],
  ['RSTRH', result('Failure', 'Reset', 'Responder sent a SYN ACK followed by a RST, no SYN from the originator', 'Low')],
  ['SH', result('Failure', 'Timeout', 'Originator sent a SYN followed by a FIN, no SYN ACK from the responder', 'Low')],
  ['SHR', result('Failure', 'Timeout', 'Responder sent a SYN ACK followed by a FIN, no SYN from the originator', 'Low')],
  ['OTH', result('Success', '', 'No SYN seen, just midstream traffic', 'Informational')],
]);

const NO_RESULT = result('', '', '', '');

/**
 * The parser's `NetworkDirectionLookup` on (local_orig, local_resp). A lookup on a null key matches no row,
 * so when either flag is unset (Site::local_nets not configured — the usual case) the direction is "".
 */
export function networkDirection(localOrig: boolean | null, localResp: boolean | null): string {
  if (localOrig === null || localResp === null) return '';
  if (localOrig === localResp) return 'Local';
  return localResp ? 'Inbound' : 'Outbound';
}

const UPPER_PROTOCOLS = new Map([['tcp', 'TCP'], ['udp', 'UDP'], ['icmp', 'ICMP'], ['', '']]);

/** The parser's `toupper(proto)`; the common values come from a table (toUpperCase allocates per call). */
function upperProto(proto: string): string {
  return UPPER_PROTOCOLS.get(proto) ?? proto.toUpperCase();
}

/** Kusto arithmetic: null if either side is null (the parser's `SrcBytes + DstBytes`). */
function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/**
 * The parser reads `duration` with `parse-kv … :int`: Zeek writes seconds (interval), so Sentinel's
 * NetworkDuration holds whole seconds, not the milliseconds the schema documents. We keep that unit and
 * truncate toward zero. (Whether Kusto turns a fractional text such as "0.41" into 0 or into null is not
 * pinned down — kusto-semantics.md Q7; truncation keeps the information.)
 */
function durationAsParserInt(seconds: number | null): number | null {
  return seconds === null ? null : Math.trunc(seconds);
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The `Type` column. Sentinel's union parser passes the source table's Type through, and the Zeek parser
 * reads `Corelight_CL`: records from this source look as they would in Sentinel.
 */
export const ZEEK_TABLE_TYPE = 'Corelight_CL';
const PARSER_SCHEMA_VERSION = '0.2.4';

/** Builds the ASIM record. `conn.ts` must be set (readers reject records without it). */
export function zeekConnToAsim(conn: ZeekConn): AsimRecord {
  const states = CONN_STATE_RESULTS.get(conn.connState) ?? NO_RESULT;
  const ts = conn.ts;
  return {
    // Offline logs have no ingestion time; Sentinel's TimeGenerated is when Corelight_CL received the
    // record, which for a live sensor is shortly after ts. We use ts so time windows match the traffic.
    TimeGenerated: ts,
    Type: ZEEK_TABLE_TYPE,
    EventCount: 1,
    EventStartTime: ts,
    // The parser takes _write_ts only (null when absent); plain Zeek logs have no _write_ts, and ASIM
    // requires an end time, so we fall back to ts.
    EventEndTime: conn.writeTs ?? ts,
    EventType: 'Flow',
    EventResult: states.EventResult,
    EventResultDetails: states.EventResultDetails,
    EventOriginalResultDetails: states.EventOriginalResultDetails,
    EventSeverity: states.EventSeverity,
    EventOriginalUid: conn.uid,
    EventProduct: 'Zeek',
    EventVendor: 'Corelight',
    EventSchema: ASIM_SCHEMA_NAME,
    EventSchemaVersion: PARSER_SCHEMA_VERSION,
    Dvc: conn.system,
    NetworkApplicationProtocol: conn.service,
    NetworkProtocol: upperProto(conn.proto),
    NetworkDirection: networkDirection(conn.localOrig, conn.localResp),
    NetworkDuration: durationAsParserInt(conn.duration),
    // The parser renames history to FlowHistory, a column outside the schema that our store cannot hold;
    // NetworkConnectionHistory is the schema's column for the same thing.
    NetworkConnectionHistory: conn.history,
    SrcBytes: conn.origBytes,
    DstBytes: conn.respBytes,
    NetworkBytes: sumOrNull(conn.origBytes, conn.respBytes),
    SrcPackets: conn.origPkts,
    DstPackets: conn.respPkts,
    NetworkPackets: sumOrNull(conn.origPkts, conn.respPkts),
    // The parser maps NetworkSessionId from community_id, not uid (uid goes to EventOriginalUid). Its key is
    // spelt ['"community_id'] without the closing quote, so in Sentinel it may never match; we map the intent.
    NetworkSessionId: conn.communityId,
    SrcVlanId: conn.innerVlan,
    DstVlanId: conn.vlan,
    SrcIpAddr: conn.origH,
    SrcPortNumber: conn.origP,
    SrcMacAddr: conn.origL2Addr,
    DstIpAddr: conn.respH,
    DstPortNumber: conn.respP,
    DstMacAddr: conn.respL2Addr,
    // Aliases the parser sets.
    Src: conn.origH,
    Dst: conn.respH,
    IpAddr: conn.origH,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Value parsers for text (TSV cells, JSON strings). Each returns null when the text is not of its kind;
// callers have already handled Zeek's unset/empty markers. Hand-written digit loops: these run several
// times per line on multi-million-line logs, where a regex per cell is measurable.

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;
const MAX_PORT = 65535;

/** An unsigned decimal integer (Zeek `count`, `port`), exact up to 2^53. */
export function parseUnsigned(text: string): number | null {
  const length = text.length;
  if (length === 0 || length > 16) return null;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < DIGIT_0 || code > DIGIT_9) return null;
    value = value * 10 + (code - DIGIT_0);
  }
  return value <= Number.MAX_SAFE_INTEGER ? value : null;
}

export function parsePort(text: string): number | null {
  const value = parseUnsigned(text);
  return value !== null && value <= MAX_PORT ? value : null;
}

/** Zeek `time` in TSV: epoch seconds with a fraction ("1709542801.123456"), exact to the microsecond. */
export function parseEpochText(text: string): Micros | null {
  const length = text.length;
  let seconds = 0;
  let i = 0;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === DOT) break;
    if (code < DIGIT_0 || code > DIGIT_9) return null;
    seconds = seconds * 10 + (code - DIGIT_0);
  }
  if (i === 0 || i > 12) return null;
  let micros = 0;
  if (i < length) {
    const fractionDigits = length - i - 1;
    if (fractionDigits < 1 || fractionDigits > 9) return null;
    let scale = 100_000;
    for (i++; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code < DIGIT_0 || code > DIGIT_9) return null;
      micros += (code - DIGIT_0) * scale; // digits past the 6th are checked but truncated (scale 0)
      scale = (scale / 10) | 0;
    }
  }
  return seconds * 1_000_000 + micros;
}

/** Zeek `interval`: seconds, possibly fractional and (rarely, clock skew) negative. */
export function parseInterval(text: string): number | null {
  if (text.length === 0) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Zeek `bool` in TSV is `T`/`F`; JSON carries true/false, which the JSON reader handles before text. */
export function parseBoolText(text: string): boolean | null {
  if (text === 'T' || text === 'true') return true;
  if (text === 'F' || text === 'false') return false;
  return null;
}

/** A `ts` given as text in JSON: ISO 8601 (json-streaming-logs) or epoch seconds. */
export function parseTimeText(text: string): Micros | null {
  return parseEpochText(text) ?? isoToMicros(text);
}

/** What each kind expects, for reject reasons. */
export const KIND_EXPECTATION: Readonly<Record<ZeekKind, string>> = {
  time: 'a time (epoch seconds or ISO 8601)',
  string: 'a string',
  port: 'a port number (0-65535)',
  count: 'a count (unsigned integer)',
  interval: 'an interval in seconds',
  bool: 'a bool (T or F)',
};
