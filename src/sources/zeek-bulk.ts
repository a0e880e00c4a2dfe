/**
 * The bulk path for Zeek conn.log TSV: when a file is one plain conn block (the usual rotated log), the
 * store's engine reads it with its own CSV reader and maps it with the plan below — the same mapping as
 * zeekConnToAsim, written declaratively. The scan is strict on purpose: anything the line reader treats
 * specially (several header blocks, escapes, carriage returns, blank lines, `#` inside the data) sends the
 * file to the line reader, which then also reports rejects with their line numbers.
 */
import { ASIM_SCHEMA_NAME } from '../asim/schema.js';
import type { BulkCellKind, BulkPlan, BulkValue, BulkVerdict } from './types.js';
import { CONN_STATE_RESULTS, isConnPath, REQUIRED_ZEEK_FIELDS, ZEEK_TABLE_TYPE } from './zeek-mapping.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const MAX_HEADER_BYTES = 1 << 20;

/** What the scan learns of the content. */
interface Scan {
  headerLines: string[];
  lines: number;
  /** A reason the content must go to the line reader, if any. */
  refusal?: string;
  hasTrailer: boolean;
}

/**
 * Streams the content once: collects the leading header lines and checks that the data holds nothing the
 * line reader would read differently from a plain TSV reader.
 */
async function scanContent(content: AsyncIterable<Uint8Array>): Promise<Scan> {
  const scan: Scan = { headerLines: [], lines: 0, hasTrailer: false };
  let inHeader = true;
  let headerText = '';
  let offset = 0;
  let previous = NEWLINE; // the byte before the current chunk ("start of line" at offset 0)
  let hashAt = -1; // offset of a `#` in the data, allowed only at the start of the last line
  let newlinesAfterHash = 0;
  let lastByte = NEWLINE;
  for await (const raw of content) {
    const chunk = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let start = 0;
    if (inHeader) {
      headerText += chunk.toString('latin1');
      const done = headerEnd(headerText);
      if (done === -1) {
        if (headerText.length > MAX_HEADER_BYTES) return { ...scan, refusal: 'no data after a very long header' };
        offset += chunk.length;
        previous = chunk[chunk.length - 1] ?? previous;
        lastByte = previous;
        scan.lines += countByte(chunk, NEWLINE, 0);
        continue;
      }
      inHeader = false;
      scan.headerLines = headerText.slice(0, done).split('\n').filter((line) => line !== '');
      start = done - (headerText.length - chunk.length); // header ends inside this chunk
      scan.lines += countByte(chunk, NEWLINE, 0, start);
      previous = start > 0 ? chunk[start - 1]! : previous;
    }
    if (scan.refusal === undefined) scan.refusal = refuseChunk(chunk, start, previous);
    const hash = chunk.indexOf(HASH, start);
    if (hash !== -1 && hashAt === -1) {
      hashAt = offset + hash;
      newlinesAfterHash = countByte(chunk, NEWLINE, hash);
    } else if (hashAt !== -1) {
      newlinesAfterHash += countByte(chunk, NEWLINE, 0);
    }
    if (hash !== -1 && (hash === 0 ? previous : chunk[hash - 1]) !== NEWLINE) scan.refusal ??= 'a # inside a data line';
    scan.lines += countByte(chunk, NEWLINE, start);
    offset += chunk.length;
    previous = chunk[chunk.length - 1] ?? previous;
    lastByte = previous;
  }
  if (inHeader) return { ...scan, headerLines: headerText.split('\n').filter((l) => l !== ''), refusal: 'no data lines' };
  if (lastByte !== NEWLINE) scan.lines += 1;
  if (hashAt !== -1) {
    const trailerIsLast = newlinesAfterHash === 0 || (newlinesAfterHash === 1 && lastByte === NEWLINE);
    if (!trailerIsLast) scan.refusal ??= 'a # line other than a final #close (several header blocks?)';
    scan.hasTrailer = true;
  }
  return scan;
}

/** Offset just past the leading `#` lines of `text`, or -1 while the first data line has not begun. */
function headerEnd(text: string): number {
  let position = 0;
  while (position < text.length) {
    if (text.charCodeAt(position) !== HASH) return position;
    const newline = text.indexOf('\n', position);
    if (newline === -1) return -1;
    position = newline + 1;
  }
  return -1;
}

function refuseChunk(chunk: Buffer, start: number, previous: number): string | undefined {
  if (chunk.indexOf(CARRIAGE_RETURN, start) !== -1) return 'carriage returns (CRLF line ends)';
  // Zeek escapes bytes as \xHH; any backslash sends the file to the line reader, which unescapes.
  if (chunk.indexOf(BACKSLASH, start) !== -1) return 'backslashes (escaped bytes)';
  if ((start === 0 ? previous : chunk[start - 1]) === NEWLINE && chunk[start] === NEWLINE && start < chunk.length) return 'blank lines';
  if (chunk.indexOf('\n\n', start) !== -1) return 'blank lines';
  return undefined;
}

function countByte(buffer: Buffer, byte: number, from: number, to = buffer.length): number {
  let count = 0;
  for (let at = buffer.indexOf(byte, from); at !== -1 && at < to; at = buffer.indexOf(byte, at + 1)) count++;
  return count;
}

interface Header {
  separator: string;
  setSeparator: string;
  empty: string;
  unset: string;
  path: string;
  fields: string[] | null;
}

function readHeader(lines: readonly string[]): Header | string {
  const header: Header = { separator: '\t', setSeparator: ',', empty: '(empty)', unset: '-', path: '', fields: null };
  for (const line of lines) {
    if (line.startsWith('#separator')) {
      if (line !== '#separator \\x09') return 'a separator other than tab';
      continue;
    }
    const [name, ...values] = line.split('\t');
    const value = values[0] ?? '';
    if (name === '#set_separator') header.setSeparator = value;
    else if (name === '#empty_field') header.empty = value;
    else if (name === '#unset_field') header.unset = value;
    else if (name === '#path') header.path = value;
    else if (name === '#fields') {
      if (header.fields) return 'two #fields lines';
      header.fields = values;
    }
  }
  return header;
}

const field = (name: string, as: BulkCellKind): BulkValue => ({ op: 'cell', field: name, as });
const constant = (value: string | number | null): BulkValue => ({ op: 'const', value });

/** The declarative twin of zeekConnToAsim, for the columns a file has. Absent fields read as unset. */
function connMapping(fields: ReadonlySet<string>): Record<string, BulkValue> {
  const cell = (name: string, as: BulkCellKind): BulkValue =>
    fields.has(name) ? field(name, as) : constant(as === 'string' ? '' : null);
  const lookup = (column: 'EventResult' | 'EventResultDetails' | 'EventOriginalResultDetails' | 'EventSeverity'): BulkValue =>
    fields.has('conn_state')
      ? { op: 'lookup', field: 'conn_state', table: new Map([...CONN_STATE_RESULTS].map(([state, result]) => [state, result[column]])) }
      : constant('');
  const sum = (a: string, b: string): BulkValue => (fields.has(a) && fields.has(b) ? { op: 'sum', fields: [a, b] } : constant(null));
  const ts = field('ts', 'time');
  return {
    TimeGenerated: ts,
    Type: constant(ZEEK_TABLE_TYPE),
    EventCount: constant(1),
    EventStartTime: ts,
    EventEndTime: fields.has('_write_ts') ? { op: 'firstTime', fields: ['_write_ts', 'ts'] } : ts,
    EventType: constant('Flow'),
    EventResult: lookup('EventResult'),
    EventResultDetails: lookup('EventResultDetails'),
    EventOriginalResultDetails: lookup('EventOriginalResultDetails'),
    EventSeverity: lookup('EventSeverity'),
    EventOriginalUid: cell('uid', 'string'),
    EventProduct: constant('Zeek'),
    EventVendor: constant('Corelight'),
    EventSchema: constant(ASIM_SCHEMA_NAME),
    EventSchemaVersion: constant('0.2.4'),
    Dvc: cell('_system_name', 'string'),
    NetworkApplicationProtocol: cell('service', 'string'),
    NetworkProtocol: fields.has('proto') ? { op: 'upper', field: 'proto' } : constant(''),
    NetworkDirection:
      fields.has('local_orig') && fields.has('local_resp')
        ? { op: 'localFlagsDirection', orig: 'local_orig', resp: 'local_resp' }
        : constant(''),
    NetworkDuration: cell('duration', 'seconds-int'),
    NetworkConnectionHistory: cell('history', 'string'),
    SrcBytes: cell('orig_bytes', 'count'),
    DstBytes: cell('resp_bytes', 'count'),
    NetworkBytes: sum('orig_bytes', 'resp_bytes'),
    SrcPackets: cell('orig_pkts', 'count'),
    DstPackets: cell('resp_pkts', 'count'),
    NetworkPackets: sum('orig_pkts', 'resp_pkts'),
    NetworkSessionId: cell('community_id', 'string'),
    SrcVlanId: cell('inner_vlan', 'string'),
    DstVlanId: cell('vlan', 'string'),
    SrcIpAddr: field('id.orig_h', 'string'),
    SrcPortNumber: field('id.orig_p', 'port'),
    SrcMacAddr: cell('orig_l2_addr', 'string'),
    DstIpAddr: field('id.resp_h', 'string'),
    DstPortNumber: field('id.resp_p', 'port'),
    DstMacAddr: cell('resp_l2_addr', 'string'),
    Src: field('id.orig_h', 'string'),
    Dst: field('id.resp_h', 'string'),
    IpAddr: field('id.orig_h', 'string'),
  };
}

/** The bulk plan for a Zeek conn TSV content, or why the line reader must read it. */
export async function planZeekBulk(content: AsyncIterable<Uint8Array>, resumeAfterLine: number): Promise<BulkVerdict> {
  const scan = await scanContent(content);
  if (scan.refusal) return { reason: scan.refusal };
  const header = readHeader(scan.headerLines);
  if (typeof header === 'string') return { reason: header };
  if (!header.fields) return { reason: 'no #fields header' };
  if (header.path !== '' && !isConnPath(header.path)) return { reason: `#path ${header.path} is not conn` };
  if (new Set(header.fields).size !== header.fields.length) return { reason: 'repeated field names in #fields' };
  if (header.unset === header.empty) return { reason: 'the unset and empty markers are the same' };
  const fields = new Set(header.fields);
  const skipDataLines = Math.max(0, resumeAfterLine - scan.headerLines.length);
  const dataLines = scan.lines - scan.headerLines.length - (scan.hasTrailer ? 1 : 0);
  const missing = REQUIRED_ZEEK_FIELDS.find((spec) => !fields.has(spec.zeek));
  if (missing) return { reason: `the #fields header has no ${missing.zeek} column` };
  return {
    plan: {
      delimiter: '\t',
      unset: header.unset,
      empty: header.empty,
      columns: header.fields,
      comment: '#',
      skipDataLines,
      required: REQUIRED_ZEEK_FIELDS.map((spec) => spec.zeek),
      mapping: connMapping(fields),
      lines: scan.lines,
      records: Math.max(0, dataLines - skipDataLines),
    } satisfies BulkPlan,
  };
}
