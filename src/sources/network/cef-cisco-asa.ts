/**
 * Cisco ASA in CommonSecurityLog, mapped as `vimNetworkSessionCiscoASA` (1.0) does.
 *
 * Selection: DeviceVendor "Cisco", DeviceProduct "ASA", and only the message ids below (others `ignored`).
 * Each message is its own record, so a connection's "Built" (302013) and "Teardown" (302014) are two records.
 * The parser has two paths:
 * - "parsed": SourceIP is set (a CEF line with src=/dst=): addresses and ports come from the columns, the rest
 *   from the message text, per message id;
 * - "unparsed": SourceIP is empty (native `%ASA-…` syslog): addresses come from the message, and only for
 *   106023, 302013, 302014, 302015, 302016 and 106100 — other ids without SourceIP are dropped (`ignored`).
 * The message patterns below are the parser's `parse` patterns, applied with Kusto's `parse` semantics (a
 * pattern that does not match leaves its columns empty; the record is still emitted). Reproduced quirks:
 * DstInterfaceName is set to the lower-cased *source* interface; 106100's `hit-cnt` becomes EventCount;
 * a 302014/302016 duration `h:mm:ss` becomes NetworkDuration = 1440 × seconds (the parser's
 * `24 * 60 * totimespan(d) / 1s`); NetworkDirection is the CommunicationDirection column as stored (the
 * `NetworkAddresses` watchlist fallback is not available offline: ""); protocol "84" yields two records.
 */
import type { AsimRecord } from '../../asim/record.js';
import { ipColumn, portColumn, timeGenerated, type CefVendorMapper, type CslRow, type MapResult } from './cef-csl.js';
import { protocolNames } from './common.js';
import { kustoHas, kustoParse, kustoRegex, STAR, trimParenthesesAndSpace, type ParsePart } from './kusto-text.js';

/** Message id → DvcAction, EventResult (the parser's ActionResultLookup; its keys are the ids it selects). */
const ACTION_RESULT: Readonly<Record<string, readonly [string, string]>> = {
  '106001': ['Deny', 'Failure'],
  '106002': ['Deny', 'Failure'],
  '106006': ['Deny', 'Failure'],
  '106007': ['Deny', 'Failure'],
  '106010': ['Deny', 'Failure'],
  '106012': ['Deny', 'Failure'],
  '106013': ['Drop', 'Failure'],
  '106014': ['Deny', 'Failure'],
  '106015': ['Deny', 'Failure'],
  '106016': ['Deny', 'Failure'],
  '106017': ['Deny', 'Failure'],
  '106018': ['Deny', 'Failure'],
  '106020': ['Deny', 'Failure'],
  '106021': ['Deny', 'Failure'],
  '106022': ['Deny', 'Failure'],
  '106023': ['Deny', 'Failure'],
  '106100': ['', ''],
  '302013': ['Allow', 'Success'],
  '302014': ['', ''],
  '302015': ['Allow', 'Success'],
  '302016': ['Allow', 'Success'],
  '302020': ['Allow', 'Success'],
  '302021': ['Allow', 'Success'],
  '710002': ['Allow', 'Success'],
  '710003': ['Deny', 'Failure'],
  '710004': ['Drop', 'Failure'],
  '710005': ['Drop', 'Failure'],
};

/**
 * Teardown reason → DvcAction, EventResult, EventResultDetails (the parser's EventResultMapping, including its
 * shifted last rows: "Unknown" → Deny/Terminated and "Unauth Deny" → Unknown). Upstream also appends a prose
 * description to EventOriginalResultDetails; smbwatch keeps the reason text only.
 */
const TEARDOWN_REASONS: Readonly<Record<string, readonly [string, string, string]>> = {
  'Conn-timeout': ['', 'Success', 'Timeout'],
  'Deny Terminate': ['Deny', 'Failure', 'Terminated'],
  'Failover primary closed': ['', 'Success', 'Failover'],
  'FIN Timeout': ['', 'Success', 'Timeout'],
  'Flow closed by inspection': ['Deny', 'Failure', 'Terminated'],
  'Flow terminated by IPS': ['Deny', 'Failure', 'Terminated'],
  'Flow reset by IPS': ['Reset', 'Failure', 'Terminated'],
  'Flow terminated by TCP Intercept': ['TCP Intercept', 'Failure', 'Terminated'],
  'Flow timed out': ['', 'Success', 'Timeout'],
  'Flow timed out with reset': ['Reset', 'Failure', 'Timeout'],
  'Free the flow created as result of packet injection': ['', 'Success', 'Simulation'],
  'Invalid SYN': ['', 'Failure', 'Invalid TCP'],
  'IPS fail-close': ['Deny', 'Failure', 'Terminated'],
  'No interfaces associated with zone': ['', 'Failure', 'Routing issue'],
  'No valid adjacency': ['Drop', 'Failure', 'Routing issue'],
  'Pinhole Timeout': ['', 'Failure', 'Timeout'],
  'Probe maximum retries of retransmission exceeded': ['', 'Failure', 'Maximum Retry'],
  'Probe maximum retransmission time elapsed': ['', 'Failure', 'Maximum Retry'],
  'Probe received RST': ['', 'Failure', 'Reset'],
  'Probe received FIN': ['', 'Success', ''],
  'Probe completed': ['', 'Success', ''],
  'Route change': ['', 'Success', ''],
  'SYN Control': ['', 'Failure', 'Invalid TCP'],
  'SYN Timeout': ['', 'Failure', 'Timeout'],
  'TCP bad retransmission': ['', 'Success', 'Invalid TCP'],
  'TCP FINs': ['', 'Success', ''],
  'TCP Invalid SYN': ['', 'Failure', 'Invalid TCP'],
  'TCP Reset-APPLIANCE': ['', 'Failure', 'Reset'],
  'TCP Reset-I': ['', 'Failure', 'Reset'],
  'TCP Reset-O': ['', 'Failure', 'Reset'],
  'TCP segment partial overlap': ['', 'Failure', 'Invalid TCP'],
  'TCP unexpected window size variation': ['', 'Failure', 'Invalid TCP'],
  'Tunnel has been torn down': ['', 'Failure', 'Invalid Tunnel'],
  Unknown: ['Deny', 'Failure', 'Terminated'],
  'Unauth Deny': ['', 'Failure', 'Unknown'],
  'Xlate Clear': ['', '', ''],
};

const c = (col: string): ParsePart => ({ col });
const n = (col: string): ParsePart => ({ col, type: 'int' });

/** The parser's message patterns, by name. */
const P = {
  interfaceOnly: [STAR, ' interface ', c('DstInterfaceName')],
  srcDstIcmp: [STAR, ' src ', c('SrcInterfaceName'), ':', STAR, ' dst ', c('DstInterfaceName'), ':', STAR, '(type ', c('NetworkIcmpType'), ', code ', n('NetworkIcmpCode'), ')'],
  packetType: [STAR, ' packet type ', c('NetworkIcmpType'), ' ', STAR, 'list ', c('NetworkRuleName'), ' ', STAR],
  accessGroup: [STAR, ' src ', c('SrcInterfaceName'), ':', STAR, ' dst ', c('DstInterfaceName'), ':', STAR, ' by access-group "', c('NetworkRuleName'), '" ', STAR],
  icmpAnywhere: [STAR, '(type ', c('NetworkIcmpType'), ', code ', n('NetworkIcmpCode'), ')', STAR],
  accessGroupUnparsed: [STAR, ':', c('DeviceAction'), ' ', c('Protocol'), ' src ', c('SrcInterfaceName'), ':', c('SrcIpAddrAndPort'), '(', c('SrcUsername'), ') dst ', c('DstInterfaceName'), ':', c('DstIpAddrAndPort'), ' ', c('NetworkIcmpInfo'), 'by access-group "', c('NetworkRuleName'), '" [', STAR, ']'],
  icmpInfo: ['(type ', c('NetworkIcmpType'), ', code ', n('NetworkIcmpCode'), ') '],
  protocol41: [STAR, ':', c('DeviceAction'), ' ', c('ProtocolFromLog'), ' src ', c('SrcInterfaceName'), ':', c('SrcIpAddr'), ' dst ', c('DstInterfaceName'), ':', c('DstIpAddr'), ' by access-group ', c('NetworkRuleName'), ' ', STAR],
  builtParsed: [STAR, ':', STAR, ' ', STAR, ' ', STAR, ' connection ', c('NetworkSessionId'), ' for ', c('SrcInterfaceName'), ':', STAR, '/', STAR, ' (', c('SrcNatIpAddr'), '/', n('SrcNatPortNumber'), ')', c('SrcUsername'), 'to ', c('DstInterfaceName'), ':', STAR, '/', STAR, ' (', c('DstNatIpAddr'), '/', n('DstNatPortNumber'), ')', c('DstUsername')],
  builtUnparsed: [STAR, ':', c('DeviceAction'), ' ', c('NetworkDirection'), ' ', c('Protocol'), ' connection ', c('NetworkSessionId'), ' for ', c('SrcInterfaceName'), ':', c('SrcIpAddr'), '/', n('SrcPortNumber'), ' (', c('SrcNatIpAddr'), '/', n('SrcNatPortNumber'), ')', c('SrcUsername'), 'to ', c('DstInterfaceName'), ':', c('DstIpAddr'), '/', n('DstPortNumber'), ' (', c('DstNatIpAddr'), '/', n('DstNatPortNumber'), ')', c('DstUsername')],
  teardownUnparsed: [STAR, ':', c('DeviceAction'), ' ', c('Protocol'), ' connection ', c('NetworkSessionId'), ' for ', c('SrcInfoString'), ' to ', c('DstInfoString'), ' duration ', c('NetworkDuration'), ' bytes ', { col: 'NetworkBytes', type: 'long' }, STAR],
  teardownParsed: [STAR, ' connection ', c('NetworkSessionId'), ' for ', c('SrcInterfaceName'), ':', STAR, ' to ', c('DstInterfaceName'), ':', STAR, ' duration ', c('NetworkDuration'), ' bytes ', { col: 'NetworkBytes', type: 'long' }, STAR],
  afterBytes: [STAR, ' bytes ', STAR, ' ', c('RemainingString')],
  reasonAndUser: [c('ReasonString'), '(', c('DstUsernameSimple'), ')'],
  reasonFrom: [c('Reason'), ' from ', STAR],
  userAfterBytes: [STAR, ' bytes ', STAR, ' (', c('DstUsernameSimple'), ')'],
  parenthesizedUser: [STAR, '(', c('SrcUsername'), ')', STAR],
  icmpTypeCode: [STAR, 'type ', c('NetworkIcmpType'), ' code ', n('NetworkIcmpCode'), STAR],
  toInterface: [STAR, ' to ', c('DstInterfaceName'), ':', STAR],
  dueTo: [STAR, ' due to ', c('EventOriginalResultDetails')],
  hitCountParsed: [STAR, 'access-list ', STAR, ' ', STAR, ' ', STAR, ' ', c('SrcInterfaceName'), '/', STAR, ') -> ', c('DstInterfaceName'), '/', STAR, ') hit-cnt ', n('EventCount'), STAR],
  hitCountUnparsed: [STAR, 'access-list ', c('NetworkRuleName'), ' ', c('DeviceAction'), ' ', c('Protocol'), ' ', c('SrcInterfaceName'), '/', c('SrcIpAddr'), '(', n('SrcPortNumber'), ') -> ', c('DstInterfaceName'), '/', c('DstIpAddr'), '(', n('DstPortNumber'), ') hit-cnt ', n('EventCount'), STAR],
} satisfies Record<string, readonly ParsePart[]>;

/** Working columns, named as the parser names them at each step. */
type Fields = Record<string, string | number | null>;

const ADDRESS_AND_PORT = kustoRegex('^(.*?):(.*?)/(-?\\d+)\\(?\\s?(.*?)\\)?\\s?$');

/** The parser's `parse kind=regex` of `iface:ip/port(user)` strings. */
function addressInfo(info: string, prefix: 'Src' | 'Dst'): Fields {
  const match = ADDRESS_AND_PORT.groups(info);
  return {
    [`${prefix}InterfaceName`]: match?.[1] ?? '',
    [`${prefix}IpAddr`]: match?.[2] ?? '',
    [`${prefix}PortNumber`]: match ? Number(match[3]) : null,
    [`${prefix}Username`]: match?.[4] ?? '',
  };
}

/** `toint(24 * 60 * totimespan("h:mm:ss") / time(1s))`. */
function asaDuration(value: string | number | null): number | null {
  const match = /^(\d+):(\d{1,2}):(\d{1,2})$/.exec(String(value ?? '').trim());
  if (!match) return null;
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
  return 24 * 60 * seconds;
}

function str(fields: Fields, name: string): string {
  const value = fields[name];
  return value === null || value === undefined ? '' : String(value);
}

/** 302014 teardown reason, looked up as the parser does (see the TEARDOWN_REASONS note). */
function applyTeardownReason(fields: Fields, reasonString: string): void {
  const fromSplit = str(kustoParse(reasonString, P.reasonFrom), 'Reason');
  const reason = fromSplit === '' ? reasonString : fromSplit;
  const found = TEARDOWN_REASONS[reason];
  fields.DvcAction = found?.[0] ?? '';
  fields.EventResult = found?.[1] ?? '';
  fields.EventResultDetails = found?.[2] ?? '';
  fields.EventOriginalResultDetails = found ? reason : '';
}

const UNPARSED_IDS = new Set(['106023', '302013', '302014', '302015', '302016', '106100']);

/** The per-id steps of the parsed path (SourceIP set). Returns false when the parser drops the row. */
function parsedBranch(id: string, message: string, fields: Fields): boolean {
  const parse = (pattern: readonly ParsePart[]): void => void Object.assign(fields, kustoParse(message, pattern));
  switch (id) {
    case '106001': case '106006': case '106015': case '106016': case '106021': case '106022':
      parse(P.interfaceOnly);
      return true;
    case '106010': case '106014':
      parse(P.srcDstIcmp);
      return true;
    case '106018':
      parse(P.packetType);
      return true;
    case '106023':
      if (kustoHas(message, 'protocol 41')) return false; // only the unparsed path reads protocol 41
      parse(P.accessGroup);
      parse(P.icmpAnywhere);
      return true;
    case '302013': case '302015':
      parse(P.builtParsed);
      fields.SrcUsername = trimParenthesesAndSpace(str(fields, 'SrcUsername'));
      fields.DstUsername = trimParenthesesAndSpace(str(fields, 'DstUsername'));
      fields.EventSubType = 'Start';
      return true;
    case '302014': {
      parse(P.teardownParsed);
      const reasonString = str(kustoParse(message, P.afterBytes), 'RemainingString');
      applyTeardownReason(fields, reasonString);
      fields.NetworkDuration = asaDuration(fields.NetworkDuration ?? null);
      fields.EventSubType = 'End';
      return true;
    }
    case '302016':
      parse(P.teardownParsed);
      fields.NetworkDuration = asaDuration(fields.NetworkDuration ?? null);
      fields.EventSubType = 'End';
      return true;
    case '302020': case '302021':
      parse(P.parenthesizedUser);
      parse(P.icmpTypeCode);
      fields.SrcUsernameType = str(fields, 'SrcUsername') !== '' ? 'Windows' : '';
      fields.EventSubType = id === '302020' ? 'Start' : 'End';
      return true;
    case '710002': case '710003': case '710004': case '710005':
      parse(P.toInterface);
      return true;
    case '106007':
      fields.DstAppName = 'DNS';
      parse(P.dueTo);
      return true;
    case '106017':
      fields.ThreatName = 'Land Attack';
      return true;
    case '106100':
      fields.DvcAction = kustoHas(message, 'denied') ? 'Deny' : 'Allow';
      fields.EventResult = fields.DvcAction === 'Deny' ? 'Failure' : 'Success';
      parse(P.hitCountParsed);
      return true;
    default: // 106002, 106012, 106013, 106020: columns only
      return true;
  }
}

/** The per-id steps of the unparsed path (SourceIP empty): addresses from the message. */
function unparsedBranch(id: string, message: string, fields: Fields): void {
  const parse = (text: string, pattern: readonly ParsePart[]): Fields => Object.assign(fields, kustoParse(text, pattern));
  switch (id) {
    case '106023':
      if (kustoHas(message, 'protocol 41')) {
        parse(message, P.protocol41);
        parse(message, P.icmpAnywhere);
        fields.Protocol = str(fields, 'Protocol') !== '' ? str(fields, 'Protocol') : str(fields, 'ProtocolFromLog').endsWith('41') ? '41' : '';
        fields.NetworkRuleName = str(fields, 'NetworkRuleName').replace(/^\s*/, '');
      } else {
        parse(message, P.accessGroupUnparsed);
        parse(str(fields, 'NetworkIcmpInfo'), P.icmpInfo);
        const [srcIp = '', srcPort] = str(fields, 'SrcIpAddrAndPort').split('/');
        const [dstIp = '', dstPort] = str(fields, 'DstIpAddrAndPort').split('/');
        Object.assign(fields, { SrcIpAddr: srcIp, SrcPortNumber: toInt(srcPort), DstIpAddr: dstIp, DstPortNumber: toInt(dstPort) });
      }
      return;
    case '302013': case '302015': {
      parse(message, P.builtUnparsed);
      fields.SrcUsername = trimParenthesesAndSpace(str(fields, 'SrcUsername'));
      fields.DstUsername = trimParenthesesAndSpace(str(fields, 'DstUsername'));
      fields.EventSubType = 'Start';
      return;
    }
    case '302014': case '302016': {
      parse(message, P.teardownUnparsed);
      Object.assign(fields, addressInfo(str(fields, 'SrcInfoString'), 'Src'), addressInfo(str(fields, 'DstInfoString'), 'Dst'));
      let simpleUser: string;
      if (id === '302014') {
        const remaining = str(kustoParse(message, P.afterBytes), 'RemainingString');
        const split = kustoParse(remaining, P.reasonAndUser);
        simpleUser = str(split, 'DstUsernameSimple');
        const reasonString = kustoHas(remaining, 'from') && !remaining.includes('(') ? remaining : str(split, 'ReasonString');
        applyTeardownReason(fields, reasonString);
      } else simpleUser = str(kustoParse(message, P.userAfterBytes), 'DstUsernameSimple');
      fields.SrcUsername = trimParenthesesAndSpace(str(fields, 'SrcUsername'));
      const dstUser = str(fields, 'DstUsername');
      fields.DstUsername = dstUser === '' ? simpleUser : trimParenthesesAndSpace(dstUser);
      fields.NetworkDuration = asaDuration(fields.NetworkDuration ?? null);
      fields.EventSubType = 'End';
      return;
    }
    case '106100':
      fields.DvcAction = kustoHas(message, 'denied') ? 'Deny' : 'Allow';
      fields.EventResult = fields.DvcAction === 'Deny' ? 'Failure' : 'Success';
      parse(message, P.hitCountUnparsed);
      return;
  }
}

function toInt(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

function usernameType(name: string): string {
  if (name === '') return '';
  if (name.includes('@')) return 'UPN';
  if (name.includes('\\')) return 'Windows';
  return 'Simple';
}

function map(row: CslRow): MapResult {
  const id = row.get('DeviceEventClassID');
  const selected = ACTION_RESULT[id];
  if (selected === undefined) return { ignored: `Cisco ASA message ${id || '(no id)'} (not one the ASIM parser selects)` };
  const message = row.get('Message');
  const fields: Fields = {
    DvcAction: selected[0],
    EventResult: selected[1],
    Protocol: row.get('Protocol'),
    DeviceAction: row.get('DeviceAction'),
  };
  const parsedPath = row.get('SourceIP') !== '';
  if (parsedPath) {
    Object.assign(fields, {
      SrcIpAddr: ipColumn(row, 'SourceIP'),
      DstIpAddr: ipColumn(row, 'DestinationIP'),
      SrcPortNumber: portColumn(row, 'SourcePort'),
      DstPortNumber: portColumn(row, 'DestinationPort'),
      NetworkRuleName: row.get('DeviceCustomString2'),
    });
    if (!parsedBranch(id, message, fields)) return { ignored: `Cisco ASA ${id} about protocol 41 with SourceIP set (the parser reads those only from the message)` };
  } else {
    if (!UNPARSED_IDS.has(id)) {
      return { ignored: `Cisco ASA ${id} without SourceIP (the parser reads addresses from the message only for ${[...UNPARSED_IDS].join(', ')})` };
    }
    unparsedBranch(id, message, fields);
  }
  const time = timeGenerated(row);
  const srcInterface = str(fields, 'SrcInterfaceName').toLowerCase();
  const srcUser = str(fields, 'SrcUsername');
  const dstUser = str(fields, 'DstUsername');
  const protocol = str(fields, 'Protocol');
  const result = str(fields, 'EventResult');
  const srcIp = str(fields, 'SrcIpAddr');
  const dstIp = str(fields, 'DstIpAddr');
  const ruleName = str(fields, 'NetworkRuleName');
  const num = (name: string): number | null => (typeof fields[name] === 'number' ? (fields[name] as number) : null);
  const base: AsimRecord = {
    TimeGenerated: time,
    Type: row.get('Type') || 'CommonSecurityLog',
    EventStartTime: time,
    EventEndTime: time,
    EventVendor: 'Cisco',
    EventProduct: 'ASA',
    EventProductVersion: row.get('DeviceVersion'),
    EventType: 'NetworkSession',
    EventSubType: str(fields, 'EventSubType'),
    EventCount: num('EventCount') ?? 1,
    EventSchema: 'NetworkSession',
    EventSchemaVersion: '0.2.4',
    EventOriginalType: id,
    EventOriginalSeverity: row.get('OriginalLogSeverity'),
    EventSeverity: result === '' || result === 'Success' ? 'Informational' : 'Low',
    EventResult: result,
    EventResultDetails: str(fields, 'EventResultDetails'),
    EventOriginalResultDetails: str(fields, 'EventOriginalResultDetails'),
    EventMessage: message,
    Dvc: row.get('Computer'),
    DvcAction: str(fields, 'DvcAction'),
    DvcOriginalAction: str(fields, 'DeviceAction'),
    NetworkDirection: parsedPath ? row.get('CommunicationDirection') : '',
    NetworkSessionId: str(fields, 'NetworkSessionId'),
    NetworkRuleName: ruleName,
    Rule: ruleName,
    NetworkIcmpType: str(fields, 'NetworkIcmpType'),
    NetworkIcmpCode: num('NetworkIcmpCode'),
    NetworkDuration: num('NetworkDuration'),
    NetworkBytes: num('NetworkBytes'),
    SrcInterfaceName: srcInterface,
    DstInterfaceName: srcInterface,
    SrcIpAddr: srcIp,
    DstIpAddr: dstIp,
    SrcPortNumber: num('SrcPortNumber'),
    DstPortNumber: num('DstPortNumber'),
    SrcNatIpAddr: str(fields, 'SrcNatIpAddr'),
    DstNatIpAddr: str(fields, 'DstNatIpAddr'),
    SrcNatPortNumber: num('SrcNatPortNumber'),
    DstNatPortNumber: num('DstNatPortNumber'),
    SrcUsername: srcUser,
    DstUsername: dstUser,
    SrcUsernameType: usernameType(srcUser),
    DstUsernameType: usernameType(dstUser),
    DstAppName: str(fields, 'DstAppName'),
    ThreatName: str(fields, 'ThreatName'),
    Src: srcIp,
    Dst: dstIp,
    IpAddr: srcIp,
  };
  // lookup ProtocolLookup on Protocol (string keys "0"…"255"; "84" twice), then toupper(Protocol) if no name.
  const names = /^\d+$/.test(protocol) ? protocolNames(Number(protocol)) : [];
  const protocols = names.length === 0 ? [''] : names;
  return { records: protocols.map((name) => ({ ...base, NetworkProtocol: name === '' && protocol !== '' ? protocol.toUpperCase() : name })) };
}

export const ciscoAsaMapper: CefVendorMapper = {
  name: 'Cisco ASA',
  asimParser: 'vimNetworkSessionCiscoASA',
  claims: (row) => row.get('DeviceVendor') === 'Cisco' && row.get('DeviceProduct') === 'ASA',
  map: (row) => map(row),
};

