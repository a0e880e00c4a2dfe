/**
 * Microsoft Defender for Endpoint `DeviceNetworkEvents` → ASIM NetworkSession, as Sentinel's
 * `vimNetworkSessionMicrosoft365Defender` (0.4) maps it; read from an Advanced Hunting or Log Analytics export,
 * as CSV (`defender-network-events-csv`) or JSON (`defender-network-events-json`: an array or JSON lines).
 *
 * Count-relevant behaviour reproduced from the parser:
 * - only six ActionTypes become records (`ACTION_TYPES`); every other one (`ConnectionAcknowledged`,
 *   `InboundInternetScanInspected`, `NetworkSignatureInspected`, …) is dropped — here: `ignored`, named;
 * - outbound types keep Local = source; the inbound-type ones (InboundConnectionAccepted, and also
 *   ConnectionFound and ListeningConnectionCreated, which the parser lumps with them) swap: Remote = source,
 *   so a server's inbound SMB session reads client → server:445, like the client's own outbound record.
 * - EventResult is Failure iff ActionType is ConnectionFailed; NetworkProtocol `Tcp*` → TCP, `Unknown` → "".
 * TimeGenerated is the export's `TimeGenerated` (Sentinel's copy of the table) or, in an Advanced Hunting
 * export that has none, `Timestamp`. EventStartTime = EventEndTime = TimeGenerated, as the parser sets them.
 */
import type { AsimRecord } from '../../asim/record.js';
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import { mapLines } from '../lines.js';
import { readCsvRows, sampleCsvRows } from './csv-rows.js';
import { JsonElementSplitter, splitJsonElements } from './json-stream.js';
import { kustoInt, putAll } from './kusto-values.js';
import { type ExportRow, exportTime } from './log-analytics.js';
import { type Mapped, rejected, toParseEvent } from './mapped.js';
import { parseJson } from '../json-depth.js';

/** The parser's `DirectionLookup`: the ActionTypes it keeps, their direction, and whether Local is the source. */
export const ACTION_TYPES: ReadonlyMap<string, { readonly direction: string; readonly outbound: boolean }> = new Map([
  ['ConnectionSuccess', { direction: 'Outbound', outbound: true }],
  ['ConnectionFailed', { direction: 'Outbound', outbound: true }],
  ['ConnectionRequest', { direction: 'Outbound', outbound: true }],
  ['InboundConnectionAccepted', { direction: 'Inbound', outbound: false }],
  ['ConnectionFound', { direction: 'Unknown', outbound: false }],
  ['ListeningConnectionCreated', { direction: 'Listen', outbound: false }],
]);

const DEFENDER_CONSTANTS = {
  Type: 'DeviceNetworkEvents',
  EventCount: 1,
  EventProduct: 'M365 Defender for Endpoint',
  EventVendor: 'Microsoft',
  EventSchema: 'NetworkSession',
  EventSchemaVersion: '0.2.3',
  EventType: 'NetworkSession',
  EventSeverity: 'Informational',
  DvcIdType: 'MDEid',
} as const;

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export function normalizeProtocol(protocol: string): string {
  if (protocol.startsWith('Tcp')) return 'TCP';
  if (protocol === 'Unknown') return '';
  return protocol.toUpperCase();
}

/** `split(name, ".")`: first label, the rest joined, and the FQDN when there was a dot. */
function splitName(name: string): { host: string; domain: string; fqdn: string; domainType: string } {
  const labels = name.split('.');
  const fqdn = name.includes('.') ? name : '';
  return { host: labels[0] ?? '', domain: labels.slice(1).join('.'), fqdn, domainType: fqdn !== '' ? 'FQDN' : '' };
}

const NULL_SID = 'S-1-0-0';

export function mapDeviceNetworkEvent(row: ExportRow, timezone: string | undefined): Mapped {
  const actionType = text(row['ActionType']);
  const action = ACTION_TYPES.get(actionType);
  if (!action) return { kind: 'ignored', what: `DeviceNetworkEvents ActionType "${actionType}": not one of the six the ASIM parser keeps` };
  let time = exportTime(row, 'TimeGenerated', timezone);
  if (time.micros === null && time.problem?.reason.startsWith('no ')) time = exportTime(row, 'Timestamp', timezone);
  if (time.micros === null) return rejected(time.problem?.reason ?? 'no time', time.problem?.field ?? 'TimeGenerated');
  const timeGenerated = time.micros;

  const device = splitName(text(row['DeviceName']));
  const url = splitName(/^(?:https?:\/\/)?(.*)$/s.exec(text(row['RemoteUrl']))?.[1] ?? '');
  const domain = text(row['InitiatingProcessAccountDomain']);
  const account = text(row['InitiatingProcessAccountName']);
  const user = domain === '' ? account : `${domain}\\${account}`;
  const usernameType = domain === '' ? 'Simple' : 'Windows';
  const sid = text(row['InitiatingProcessAccountSid']);
  const localIp = text(row['LocalIP']);
  const remoteIp = text(row['RemoteIP']);
  const localPort = kustoInt(text(row['LocalPort']));
  const remotePort = kustoInt(text(row['RemotePort']));
  const deviceId = text(row['DeviceId']);
  const processName = text(row['InitiatingProcessFileName']);
  const processId = text(row['InitiatingProcessId']);

  const record: AsimRecord = { TimeGenerated: timeGenerated };
  putAll(record, DEFENDER_CONSTANTS);
  putAll(record, {
    _ResourceId: text(row['_ResourceId']),
    EventStartTime: timeGenerated,
    EventEndTime: timeGenerated,
    EventOriginalUid: text(row['ReportId']),
    EventOriginalResultDetails: actionType,
    EventResult: actionType === 'ConnectionFailed' ? 'Failure' : 'Success',
    NetworkDirection: action.direction,
    NetworkProtocol: normalizeProtocol(text(row['Protocol'])),
    DvcHostname: device.host,
    DvcDomain: device.domain,
    DvcFQDN: device.fqdn,
    DvcDomainType: device.domainType,
    Dvc: device.host,
    DvcIpAddr: localIp,
    DvcId: deviceId,
    Hostname: url.host,
  });
  if (action.outbound) {
    putAll(record, {
      SrcIpAddr: localIp,
      DstIpAddr: remoteIp,
      SrcPortNumber: localPort,
      DstPortNumber: remotePort,
      SrcUsernameType: usernameType,
      SrcUsername: user,
      SrcUserId: sid !== NULL_SID ? sid : '',
      SrcUserIdType: sid !== NULL_SID ? 'SID' : '',
      SrcDvcId: deviceId,
      SrcDvcIdType: 'MDEid',
      SrcHostname: device.host,
      SrcDomain: device.domain,
      SrcFQDN: device.fqdn,
      SrcDomainType: device.domainType,
      DstHostname: url.host,
      DstDomain: url.domain,
      DstFQDN: url.fqdn,
      DstDomainType: url.domainType,
      SrcProcessId: processId,
      SrcProcessName: processName,
      SrcAppName: processName,
      SrcAppType: 'Process',
    });
  } else {
    putAll(record, {
      SrcIpAddr: remoteIp,
      DstIpAddr: localIp,
      SrcPortNumber: remotePort,
      DstPortNumber: localPort,
      DstUsernameType: usernameType,
      DstUsername: user,
      // Unlike the outbound branch, the inbound one keeps S-1-0-0 and always says SID.
      DstUserId: sid,
      DstUserIdType: 'SID',
      DstDvcId: deviceId,
      DstDvcIdType: 'MDEid',
      SrcHostname: url.host,
      SrcDomain: url.domain,
      SrcFQDN: url.fqdn,
      SrcDomainType: url.domainType,
      DstHostname: device.host,
      DstDomain: device.domain,
      DstFQDN: device.fqdn,
      DstProcessId: processId,
      DstProcessName: processName,
      DstAppName: processName,
      DstAppType: 'Process',
    });
  }
  const srcIp = text(record['SrcIpAddr']);
  putAll(record, { IpAddr: srcIp, Src: srcIp, Dst: text(record['DstIpAddr']) });
  return { kind: 'record', record };
}

/** Which of the columns that tell a DeviceNetworkEvents export apart are missing (none: it is one). */
function missingDeviceNetworkColumns(columns: readonly string[]): string[] {
  const has = (name: string) => columns.includes(name);
  const hasTime = columns.some((name) => /^(?:Timestamp|TimeGenerated)(?: \[(?:UTC|Local Time)\])?$/.test(name));
  return [
    ...(hasTime ? [] : ['Timestamp or TimeGenerated']),
    ...(has('ActionType') ? [] : ['ActionType']),
    ...(has('RemoteIP') || has('LocalIP') ? [] : ['RemoteIP or LocalIP']),
    ...(has('DeviceId') || has('DeviceName') ? [] : ['DeviceId or DeviceName']),
  ];
}

function looksLikeDeviceNetworkEvents(columns: readonly string[]): boolean {
  return missingDeviceNetworkColumns(columns).length === 0;
}

function describeActions(rows: readonly ExportRow[]): string {
  const kept = rows.filter((row) => ACTION_TYPES.has(text(row['ActionType']))).length;
  return `${rows.length} sample row(s), ${kept} with an ActionType the ASIM parser keeps`;
}

const ASIM_PARSER = 'vimNetworkSessionMicrosoft365Defender';

export const defenderNetworkEventsCsv: SourceFormat = {
  name: 'defender-network-events-csv',
  title: 'Microsoft Defender for Endpoint DeviceNetworkEvents, CSV export (Advanced Hunting or Log Analytics)',
  asimParser: ASIM_PARSER,
  detection: 'CSV header with ActionType, RemoteIP/LocalIP, DeviceId/DeviceName and Timestamp or TimeGenerated',
  lineBased: false,
  sniff(sample: ContentSample): SniffVerdict {
    const parsed = sampleCsvRows(sample.lines);
    if (!parsed) return { verdict: 'no', reason: 'not CSV with a header' };
    const missing = missingDeviceNetworkColumns(parsed.header);
    if (missing.length > 0) return { verdict: 'no', reason: `no ${missing.join(', ')} column` };
    return { verdict: 'match', reason: `CSV with DeviceNetworkEvents columns (ActionType, RemoteIP, LocalIP, …); ${describeActions(parsed.rows)}` };
  },
  async *parse(input: SourceInput, options: ParseOptions): AsyncIterable<ParseEvent[]> {
    for await (const pieces of readCsvRows(input.bytes())) {
      yield pieces.map((piece) =>
        piece.kind === 'row'
          ? toParseEvent(mapDeviceNetworkEvent(piece.row, options.timezone), piece.line, piece.raw)
          : toParseEvent(rejected(piece.reason), piece.line, piece.raw),
      );
    }
  },
};

function mapJsonText(textValue: string, timezone: string | undefined): Mapped {
  let value: unknown;
  try {
    value = parseJson(textValue);
  } catch (error) {
    return rejected(`invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return rejected('JSON value is not an object');
  return mapDeviceNetworkEvent(value as ExportRow, timezone);
}

function sampleObjects(sample: ContentSample): ExportRow[] {
  const texts = sample.text.trimStart().startsWith('[')
    ? new JsonElementSplitter().push(sample.text).flatMap((piece) => (piece.kind === 'element' ? [piece.text] : []))
    : sample.lines.filter((line) => line.trim() !== '');
  const rows: ExportRow[] = [];
  for (const item of texts.slice(0, 200)) {
    try {
      const value: unknown = parseJson(item);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) rows.push(value as ExportRow);
    } catch {
      // not JSON: does not count
    }
  }
  return rows;
}

export const defenderNetworkEventsJson: SourceFormat = {
  name: 'defender-network-events-json',
  title: 'Microsoft Defender for Endpoint DeviceNetworkEvents, JSON export (array or JSON lines)',
  asimParser: ASIM_PARSER,
  detection: 'JSON array or lines of objects with ActionType, RemoteIP/LocalIP, DeviceId/DeviceName and Timestamp or TimeGenerated',
  lineBased: false,
  sniff(sample: ContentSample): SniffVerdict {
    const head = sample.text.trimStart();
    if (!head.startsWith('[') && !head.startsWith('{')) return { verdict: 'no', reason: 'not JSON objects' };
    const rows = sampleObjects(sample);
    const matching = rows.filter((row) => looksLikeDeviceNetworkEvents(Object.keys(row)));
    if (matching.length === 0 || matching.length * 2 < rows.length) {
      const first = rows[0];
      const missing = first ? missingDeviceNetworkColumns(Object.keys(first)) : [];
      return { verdict: 'no', reason: first ? `the first object has no ${missing.join(', ')} field` : 'no JSON object in the sample' };
    }
    return { verdict: 'match', reason: `JSON ${head.startsWith('[') ? 'array' : 'lines'} of DeviceNetworkEvents rows; ${describeActions(matching)}` };
  },
  async *parse(input: SourceInput, options: ParseOptions): AsyncIterable<ParseEvent[]> {
    if (await startsWithArray(input)) {
      for await (const pieces of splitJsonElements(input.bytes())) {
        yield pieces.map((piece) =>
          piece.kind === 'element'
            ? toParseEvent(mapJsonText(piece.text, options.timezone), piece.line, piece.text)
            : toParseEvent(rejected(piece.reason), piece.line, piece.text),
        );
      }
      return;
    }
    yield* mapLines(input.lines(), (line) =>
      line.text.trim() === '' ? undefined : toParseEvent(mapJsonText(line.text, options.timezone), line.no, line.text),
    );
  },
};

/** Whether the content's first non-blank character is `[` (read from the first chunks only). */
async function startsWithArray(input: SourceInput): Promise<boolean> {
  for await (const chunk of input.bytes()) {
    const head = Buffer.from(chunk).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (head !== '') return head.startsWith('[');
  }
  return false;
}
