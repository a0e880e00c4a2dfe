/**
 * Helpers shared by the network and cloud sources: value coercion as Kusto's `toint`/`tolong` do it, IP
 * checks, the IANA protocol table the ASIM parsers carry, and event constructors.
 */
import type { AsimRecord } from '../../asim/record.js';
import type { ParseEvent } from '../types.js';

/** The longest raw text a reject keeps; the store may shorten it further. */
const RAW_LIMIT = 2000;

export function reject(line: number, raw: string, reason: string, field?: string): ParseEvent {
  const event: { kind: 'reject'; line: number; raw: string; reason: string; field?: string } = {
    kind: 'reject',
    line,
    raw: raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw,
    reason,
  };
  if (field !== undefined) event.field = field;
  return event;
}

export function ignored(line: number, what: string): ParseEvent {
  return { kind: 'ignored', line, what };
}

export function recordEvent(line: number, record: AsimRecord): ParseEvent {
  return { kind: 'record', line, record };
}

/** A value that could not be coerced, with the source field to blame. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Whole numbers from text or JSON numbers. Empty, `-` and absent are "no value" (null); anything else that is
 * not a number is an error naming the field, so a wrong `--format` shows which field did not fit.
 */
export function wholeNumber(value: unknown, field: string, options: { allowFraction?: boolean } = {}): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FieldError(field, `${field} is not a finite number`);
    return safeWhole(Math.trunc(value), field, String(value));
  }
  const text = String(value).trim();
  if (text === '' || text === '-') return null;
  if (INTEGER.test(text)) {
    const parsed = Number(text);
    if (!Number.isSafeInteger(parsed)) throw new FieldError(field, `${field} is out of range: ${text}`);
    return parsed;
  }
  if (options.allowFraction && DECIMAL.test(text)) return safeWhole(Math.trunc(Number(text)), field, text);
  throw new FieldError(field, `${field} is not a number: ${JSON.stringify(shorten(text))}`);
}

/** A whole number the store can hold exactly (a long column; `1e308` is a number, but no count). */
function safeWhole(value: number, field: string, text: string): number {
  if (!Number.isSafeInteger(value)) throw new FieldError(field, `${field} is out of range: ${shorten(text)}`);
  return value;
}

/** A port: a whole number in 0–65535. */
export function portNumber(value: unknown, field: string): number | null {
  const port = wholeNumber(value, field, { allowFraction: true });
  if (port !== null && (port < 0 || port > 65535)) throw new FieldError(field, `${field} is not a port: ${port}`);
  return port;
}

/** Real numbers (Traffic Analytics writes counters as `_d` reals). */
export function realNumber(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const text = String(value).trim();
  if (text === '' || text === '-') return null;
  if (!DECIMAL.test(text)) throw new FieldError(field, `${field} is not a number: ${JSON.stringify(shorten(text))}`);
  const number = Number(text);
  if (!Number.isFinite(number)) throw new FieldError(field, `${field} is out of range: ${shorten(text)}`);
  return number;
}

/** Kusto `+` on longs: null if either side is null. */
export function sumOrNull(...values: ReadonlyArray<number | null>): number | null {
  let total = 0;
  for (const value of values) {
    if (value === null) return null;
    total += value;
  }
  return total;
}

/** Text of a value as Kusto `tostring` gives it; absent is "". */
export function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[0-9A-Za-z._-]+)?$/;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

/** A plausible IPv6 address (with an optional zone), including IPv4-mapped forms. */
export function isIPv6(value: string): boolean {
  if (!IPV6.test(value) || !value.includes(':')) return false;
  const address = value.split('%')[0] ?? '';
  const doubleColons = address.split('::').length - 1;
  if (doubleColons > 1) return false;
  const groups = address.split(':');
  const last = groups[groups.length - 1] ?? '';
  const hextets = last.includes('.') ? groups.length + 1 : groups.length;
  if (last.includes('.') && !isIPv4(last)) return false;
  const groupsOk = groups.slice(0, last.includes('.') ? -1 : undefined).every((group) => /^[0-9A-Fa-f]{0,4}$/.test(group));
  return groupsOk && (doubleColons === 1 ? hextets <= 8 : hextets === 8);
}

export function isIpAddress(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/** An address field: "" when absent; an error naming the field when it is not an address. */
export function ipAddress(value: unknown, field: string): string {
  const address = text(value).trim();
  if (address === '' || address === '-') return '';
  if (!isIpAddress(address)) throw new FieldError(field, `${field} is not an IP address: ${JSON.stringify(shorten(address))}`);
  return address;
}

export function ipVersion(address: string): string {
  if (isIPv4(address)) return 'IPv4';
  if (isIPv6(address)) return 'IPv6';
  return '';
}

export function shorten(value: string, limit = 60): string {
  return value.length > limit ? `${value.slice(0, limit)}…` : value;
}

/**
 * IANA protocol numbers → names, as the ASIM parsers' `ProtocolLookup` datatable lists them (the AWS VPC and
 * Cisco ASA parsers carry the same table; unassigned numbers map to ""). Number 84 appears twice upstream
 * (TTP and IPTM), which matters to parsers that `lookup` on it: see `protocolNames`.
 */
const IANA_PROTOCOLS: ReadonlyArray<readonly [number, string]> = [
  [0, 'HOPOPT'], [1, 'ICMP'], [2, 'IGMP'], [3, 'GGP'], [4, 'IPv4'], [5, 'ST'], [6, 'TCP'], [7, 'CBT'], [8, 'EGP'],
  [9, 'IGP'], [10, 'BBN-RCC-MON'], [11, 'NVP-II'], [12, 'PUP'], [13, 'ARGUS (deprecated)'], [14, 'EMCON'],
  [15, 'XNET'], [16, 'CHAOS'], [17, 'UDP'], [18, 'MUX'], [19, 'DCN-MEAS'], [20, 'HMP'], [21, 'PRM'],
  [22, 'XNS-IDP'], [23, 'TRUNK-1'], [24, 'TRUNK-2'], [25, 'LEAF-1'], [26, 'LEAF-2'], [27, 'RDP'], [28, 'IRTP'],
  [29, 'ISO-TP4'], [30, 'NETBLT'], [31, 'MFE-NSP'], [32, 'MERIT-INP'], [33, 'DCCP'], [34, '3PC'], [35, 'IDPR'],
  [36, 'XTP'], [37, 'DDP'], [38, 'IDPR-CMTP'], [39, 'TP++'], [40, 'IL'], [41, 'IPv6'], [42, 'SDRP'],
  [43, 'IPv6-Route'], [44, 'IPv6-Frag'], [45, 'IDRP'], [46, 'RSVP'], [47, 'GRE'], [48, 'DSR'], [49, 'BNA'],
  [50, 'ESP'], [51, 'AH'], [52, 'I-NLSP'], [53, 'SWIPE (deprecated)'], [54, 'NARP'], [55, 'MOBILE'], [56, 'TLSP'],
  [57, 'SKIP'], [58, 'IPv6-ICMP'], [59, 'IPv6-NoNxt'], [60, 'IPv6-Opts'], [61, ''], [62, 'CFTP'], [63, ''],
  [64, 'SAT-EXPAK'], [65, 'KRYPTOLAN'], [66, 'RVD'], [67, 'IPPC'], [68, ''], [69, 'SAT-MON'], [70, 'VISA'],
  [71, 'IPCV'], [72, 'CPNX'], [73, 'CPHB'], [74, 'WSN'], [75, 'PVP'], [76, 'BR-SAT-MON'], [77, 'SUN-ND'],
  [78, 'WB-MON'], [79, 'WB-EXPAK'], [80, 'ISO-IP'], [81, 'VMTP'], [82, 'SECURE-VMTP'], [83, 'VINES'], [84, 'TTP'],
  [84, 'IPTM'], [85, 'NSFNET-IGP'], [86, 'DGP'], [87, 'TCF'], [88, 'EIGRP'], [89, 'OSPFIGP'], [90, 'Sprite-RPC'],
  [91, 'LARP'], [92, 'MTP'], [93, 'AX.25'], [94, 'IPIP'], [95, 'MICP (deprecated)'], [96, 'SCC-SP'],
  [97, 'ETHERIP'], [98, 'ENCAP'], [99, ''], [100, 'GMTP'], [101, 'IFMP'], [102, 'PNNI'], [103, 'PIM'],
  [104, 'ARIS'], [105, 'SCPS'], [106, 'QNX'], [107, 'A/N'], [108, 'IPComp'], [109, 'SNP'], [110, 'Compaq-Peer'],
  [111, 'IPX-in-IP'], [112, 'VRRP'], [113, 'PGM'], [114, ''], [115, 'L2TP'], [116, 'DDX'], [117, 'IATP'],
  [118, 'STP'], [119, 'SRP'], [120, 'UTI'], [121, 'SMP'], [122, 'SM (deprecated)'], [123, 'PTP'],
  [124, 'ISIS over IPv4'], [125, 'FIRE'], [126, 'CRTP'], [127, 'CRUDP'], [128, 'SSCOPMCE'], [129, 'IPLT'],
  [130, 'SPS'], [131, 'PIPE'], [132, 'SCTP'], [133, 'FC'], [134, 'RSVP-E2E-IGNORE'], [135, 'Mobility Header'],
  [136, 'UDPLite'], [137, 'MPLS-in-IP'], [138, 'manet'], [139, 'HIP'], [140, 'Shim6'], [141, 'WESP'],
  [142, 'ROHC'], [143, 'Ethernet'], [253, ''], [254, ''], [255, 'Reserved'],
];

const PROTOCOLS_BY_NUMBER: ReadonlyMap<number, readonly string[]> = (() => {
  const map = new Map<number, string[]>();
  for (const [number, name] of IANA_PROTOCOLS) map.set(number, [...(map.get(number) ?? []), name]);
  return map;
})();

/**
 * Every name the upstream table gives a protocol number: one for all but 84, none for numbers the table lacks.
 * A Kusto `lookup` emits one row per matching name, so parsers that look the number up yield as many records.
 */
export function protocolNames(number: number | null): readonly string[] {
  if (number === null) return [];
  return PROTOCOLS_BY_NUMBER.get(number) ?? [];
}

/** The first name for a protocol number, or "" (for parsers that resolve it with a scalar function). */
export function protocolName(number: number | null): string {
  return protocolNames(number)[0] ?? '';
}
