/**
 * CEF over syslog, and CommonSecurityLog exports.
 *
 * `cef-syslog` reads one event per line: an RFC 5424 or RFC 3164 syslog header (or none) followed by
 * `CEF:0|Vendor|Product|Version|EventClassId|Name|Severity|extension`. It also reads Cisco ASA's native
 * `%ASA-6-302013: …` syslog lines, which Sentinel's connector stores in CommonSecurityLog as vendor Cisco,
 * product ASA, the message id in DeviceEventClassID and the text in Message, with no SourceIP (the ASA parser
 * then reads the addresses from the message).
 * `cef-csl-export` reads a CommonSecurityLog export (CSV or JSON) from Log Analytics.
 *
 * Both become CommonSecurityLog rows (see cef-csl.ts) and go to the first vendor mapper that claims them:
 * Palo Alto PAN-OS, Fortinet FortiGate, Cisco ASA, then the generic CEF mapping for every other vendor.
 */
import type { AsimRecord, Micros } from '../../asim/record.js';
import { mapLines } from '../lines.js';
import type { ContentSample, Line, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import { CEF_KEY_TO_COLUMN, EXTENSION_PREFIX_RENAMES, type CefVendorMapper, type CslRow } from './cef-csl.js';
import { ciscoAsaMapper } from './cef-cisco-asa.js';
import { fortiGateMapper } from './cef-fortigate.js';
import { genericCefMapper } from './cef-generic.js';
import { paloAltoMapper } from './cef-paloalto.js';
import { FieldError, ignored, recordEvent, reject, shorten } from './common.js';
import { firstNonBlankChar } from './azure-nsg.js';
import { datetimeCell, readTableRows, sampleColumns, type TableRow } from './tables.js';
import { cefTimeToMicros } from './cef-time.js';

export { cefTimeToMicros, inferYear } from './cef-time.js';

/** In order: the first mapper that claims a row maps it. The generic mapper claims every row. */
export const CEF_VENDOR_MAPPERS: readonly CefVendorMapper[] = [paloAltoMapper, fortiGateMapper, ciscoAsaMapper, genericCefMapper];

// ---------------------------------------------------------------- CEF text

export interface CefHeader {
  readonly version: string;
  readonly deviceVendor: string;
  readonly deviceProduct: string;
  readonly deviceVersion: string;
  readonly deviceEventClassId: string;
  readonly name: string;
  readonly severity: string;
}

export interface CefEvent {
  readonly header: CefHeader;
  /** Extension pairs in their order, values unescaped. */
  readonly extension: ReadonlyArray<readonly [string, string]>;
}

const CEF_START = /CEF:\d+\|/;

/** Header fields are `|`-separated; `\|` and `\\` are escapes. */
function splitHeader(text: string): { fields: string[]; rest: string } | undefined {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && (text[i + 1] === '|' || text[i + 1] === '\\')) {
      current += text[i + 1];
      i++;
    } else if (char === '|') {
      fields.push(current);
      current = '';
      if (fields.length === 7) return { fields, rest: text.slice(i + 1) };
    } else current += char;
  }
  return undefined;
}

const EXTENSION_KEY = /(?:^|\s)([A-Za-z0-9_.[\]-]+)=/g;

/** Extension values: `\=` `\\` `\n` `\r` (and a stray `\|`) are escapes. */
function unescapeValue(value: string): string {
  return value.replace(/\\([=\\nr|])/g, (_, char: string) => (char === 'n' ? '\n' : char === 'r' ? '\r' : char));
}

/**
 * Extension `key=value` pairs. A value runs until the next unescaped ` key=`; an `=` preceded by a backslash is
 * part of a value, never the end of a key.
 */
export function parseExtension(text: string): Array<[string, string]> {
  const keys: Array<{ key: string; start: number; valueStart: number }> = [];
  for (const match of text.matchAll(EXTENSION_KEY)) {
    const keyStart = (match.index ?? 0) + match[0].length - match[1]!.length - 1;
    if (keyStart > 0 && text[keyStart - 1] === '\\') continue;
    if (isEscapedEquals(text, (match.index ?? 0) + match[0].length - 1)) continue;
    keys.push({ key: match[1]!, start: match.index ?? 0, valueStart: (match.index ?? 0) + match[0].length });
  }
  return keys.map((entry, index) => {
    const end = index + 1 < keys.length ? keys[index + 1]!.start : text.length;
    return [entry.key, unescapeValue(text.slice(entry.valueStart, end).replace(/\s+$/, ''))];
  });
}

function isEscapedEquals(text: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

export function parseCef(payload: string): CefEvent | string {
  const split = splitHeader(payload);
  if (!split) return 'CEF header has fewer than 7 |-separated fields';
  const [version = '', deviceVendor = '', deviceProduct = '', deviceVersion = '', deviceEventClassId = '', name = '', severity = ''] = split.fields;
  return {
    header: { version: version.replace(/^.*CEF:/, ''), deviceVendor, deviceProduct, deviceVersion, deviceEventClassId, name, severity },
    extension: parseExtension(split.rest),
  };
}

// ---------------------------------------------------------------- syslog headers and CEF times

export interface SyslogHeader {
  readonly time: Micros | null;
  readonly host: string;
}

const RFC5424 = /^(?:<\d{1,3}>)?1 (\S+) (\S+) \S+ \S+ \S+ (?:-|(?:\[.*?\])+) ?/;
const RFC3164 = /^(?:<\d{1,3}>)?([A-Z][a-z]{2}\s+\d{1,2}(?:\s+\d{4})?\s+\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)\s+(\S+)/;
const ISO_PREFIX = /^(?:<\d{1,3}>)?(\d{4}-\d{2}-\d{2}T\S+)\s+(\S+)/;

/** The time and host of the syslog header before a CEF payload (none for a bare CEF line). */
export function parseSyslogHeader(prefix: string, timezone: string | undefined, now?: Date): SyslogHeader {
  const rfc5424 = RFC5424.exec(prefix);
  if (rfc5424) return { time: rfc5424[1] === '-' ? null : cefTimeToMicros(rfc5424[1] ?? '', timezone, now), host: rfc5424[2] === '-' ? '' : (rfc5424[2] ?? '') };
  const rfc3164 = RFC3164.exec(prefix);
  if (rfc3164) {
    const host = rfc3164[2] ?? '';
    // `Mar  4 09:00:02 CEF:0|…` has no host: the "host" is the payload itself.
    return { time: cefTimeToMicros(rfc3164[1] ?? '', timezone, now), host: /^(CEF:|%ASA-)/.test(host) || host.endsWith(':') ? '' : host };
  }
  const iso = ISO_PREFIX.exec(prefix);
  if (iso) return { time: cefTimeToMicros(iso[1] ?? '', timezone, now), host: iso[2] ?? '' };
  return { time: null, host: '' };
}

// ---------------------------------------------------------------- rows

/** Column values of a row built from a CEF line or an ASA syslog line. */
class LineRow implements CslRow {
  constructor(
    readonly line: number,
    readonly raw: string,
    private readonly columns: ReadonlyMap<string, string>,
    readonly timeGenerated: Micros | null,
    private readonly timezone: string | undefined,
  ) {}

  get(column: string): string {
    return this.columns.get(column) ?? '';
  }

  has(column: string): boolean {
    return this.columns.has(column);
  }

  time(column: string): Micros | null {
    const value = this.get(column);
    if (value === '') return null;
    const micros = cefTimeToMicros(value, this.timezone);
    if (micros === null) throw new FieldError(column, `${column} is not a time: ${JSON.stringify(shorten(value))}`);
    return micros;
  }
}

function renameExtensionKey(key: string): string {
  for (const [prefix, replacement] of EXTENSION_PREFIX_RENAMES) if (key.startsWith(prefix)) return replacement + key.slice(prefix.length);
  return key;
}

/** A CEF event as the CommonSecurityLog columns Sentinel's connector would store. */
export function cefToColumns(event: CefEvent, host: string): Map<string, string> {
  const columns = new Map<string, string>([
    ['Type', 'CommonSecurityLog'],
    ['CEFVersion', event.header.version],
    ['DeviceVendor', event.header.deviceVendor],
    ['DeviceProduct', event.header.deviceProduct],
    ['DeviceVersion', event.header.deviceVersion],
    ['DeviceEventClassID', event.header.deviceEventClassId],
    ['Activity', event.header.name],
    ['LogSeverity', event.header.severity],
    ['Computer', host],
  ]);
  const additional: string[] = [];
  for (const [key, value] of event.extension) {
    const column = CEF_KEY_TO_COLUMN[key];
    if (column !== undefined) {
      if (!columns.has(column)) columns.set(column, value);
    } else additional.push(`${renameExtensionKey(key)}=${value}`);
  }
  columns.set('AdditionalExtensions', additional.join(';'));
  return columns;
}

const ASA_NATIVE = /%ASA-(\d)-(\d{6}): /;

function asaColumns(message: string, match: RegExpExecArray, host: string): Map<string, string> {
  return new Map([
    ['Type', 'CommonSecurityLog'],
    ['DeviceVendor', 'Cisco'],
    ['DeviceProduct', 'ASA'],
    ['DeviceEventClassID', match[2] ?? ''],
    ['LogSeverity', match[1] ?? ''],
    ['Message', message],
    ['Computer', host],
  ]);
}

/** One syslog line → a CommonSecurityLog row, or a reason it is not one. */
export function lineToRow(line: Line, timezone: string | undefined, now?: Date): CslRow | { reason: string; field: string } {
  const cefAt = line.text.search(CEF_START);
  if (cefAt !== -1) {
    const header = parseSyslogHeader(line.text.slice(0, cefAt), timezone, now);
    const event = parseCef(line.text.slice(cefAt));
    if (typeof event === 'string') return { reason: event, field: 'CEF' };
    const columns = cefToColumns(event, header.host);
    const receipt = columns.get('ReceiptTime');
    const receiptTime = receipt ? cefTimeToMicros(receipt, timezone, now) : null;
    if (receipt && receiptTime === null) return { reason: `rt is not a time: ${JSON.stringify(shorten(receipt))}`, field: 'rt' };
    return new LineRow(line.no, line.text, columns, receiptTime ?? header.time, timezone);
  }
  const asa = ASA_NATIVE.exec(line.text);
  if (asa) {
    const header = parseSyslogHeader(line.text.slice(0, asa.index), timezone, now);
    return new LineRow(line.no, line.text, asaColumns(line.text.slice(asa.index), asa, header.host), header.time, timezone);
  }
  return { reason: 'no CEF:0|… payload and no %ASA- message in the line', field: 'CEF' };
}

class ExportRow implements CslRow {
  readonly line: number;
  readonly raw: string;
  readonly timeGenerated: Micros | null;

  constructor(
    private readonly row: TableRow,
    private readonly timezone: string | undefined,
  ) {
    this.line = row.line;
    this.raw = row.raw;
    this.timeGenerated = this.time('TimeGenerated');
  }

  get(column: string): string {
    const value = this.row.cells[column];
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  has(column: string): boolean {
    return column in this.row.cells;
  }

  time(column: string): Micros | null {
    return datetimeCell(this.row, column, this.timezone) ?? null;
  }
}

// ---------------------------------------------------------------- dispatch

function mapRow(row: CslRow, timezone: string | undefined): ParseEvent[] {
  const mapper = CEF_VENDOR_MAPPERS.find((candidate) => candidate.claims(row)) ?? genericCefMapper;
  try {
    const result = mapper.map(row, timezone);
    if ('ignored' in result) return [ignored(row.line, result.ignored)];
    return result.records.map((record: AsimRecord) => recordEvent(row.line, record));
  } catch (error) {
    if (error instanceof FieldError) return [reject(row.line, row.raw, `${mapper.name}: ${error.message}`, error.field)];
    throw error;
  }
}

// ---------------------------------------------------------------- formats

function sniffSyslog(sample: ContentSample): SniffVerdict {
  const lines = sample.lines.filter((line) => line.trim() !== '').slice(0, 50);
  if (lines.length === 0) return { verdict: 'no' };
  const cef = lines.filter((line) => CEF_START.test(line) && typeof parseCef(line.slice(line.search(CEF_START))) !== 'string').length;
  const asa = lines.filter((line) => ASA_NATIVE.test(line)).length;
  if (cef + asa === 0 || (cef + asa) * 2 < lines.length) return { verdict: 'no', reason: 'no CEF payloads in the first lines' };
  const parts = [cef > 0 ? `${cef} CEF:0| payload(s)` : '', asa > 0 ? `${asa} Cisco ASA %ASA- message(s)` : ''].filter(Boolean);
  return { verdict: 'match', reason: `${parts.join(' and ')} in ${lines.length} first line(s)` };
}

export const cefSyslogFormat: SourceFormat = {
  name: 'cef-syslog',
  title: 'CEF over syslog (RFC 3164/5424; PAN-OS, FortiGate, Cisco ASA, generic CEF) and Cisco ASA syslog',
  asimParser: 'vimNetworkSessionPaloAltoCEF, vimNetworkSessionFortinetFortiGate, vimNetworkSessionCiscoASA, ASimNetworkSessionGenericCEF',
  detection: 'most of the first lines carry a CEF:N|… payload (after an optional syslog header) or a %ASA-n-nnnnnn: message',
  lineBased: true,
  sniff: sniffSyslog,
  parse(input, options: ParseOptions) {
    return mapLines(input.lines(), (line): ParseEvent | ParseEvent[] | undefined => {
      if (line.text.trim() === '') return undefined;
      const row = lineToRow(line, options.timezone);
      if ('reason' in row) return reject(line.no, line.text, row.reason, row.field);
      return mapRow(row, options.timezone);
    });
  },
};

function sniffExport(sample: ContentSample): SniffVerdict {
  const columns = sampleColumns(sample);
  if (!columns) return { verdict: 'no' };
  const required = ['DeviceVendor', 'DeviceProduct', 'DeviceEventClassID'];
  if (required.every((name) => columns.columns.has(name))) {
    return { verdict: 'match', reason: `${columns.kind.toUpperCase()} export with CommonSecurityLog columns (${required.join(', ')})` };
  }
  return { verdict: 'no', reason: 'no CommonSecurityLog columns' };
}

async function* parseExport(input: SourceInput, options: ParseOptions): AsyncGenerator<ParseEvent[]> {
  const head = await firstNonBlankChar(input);
  for await (const items of readTableRows(input, head === '{' || head === '[' ? 'json' : 'csv')) {
    const events: ParseEvent[] = [];
    for (const item of items) {
      if (item.kind === 'bad') {
        events.push(reject(item.line, item.raw, item.reason));
        continue;
      }
      let row: ExportRow;
      try {
        if (!('DeviceVendor' in item.row.cells)) throw new FieldError('DeviceVendor', 'no DeviceVendor column: not a CommonSecurityLog export');
        row = new ExportRow(item.row, options.timezone);
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        events.push(reject(item.row.line, item.row.raw, error.message, error.field));
        continue;
      }
      events.push(...mapRow(row, options.timezone));
    }
    if (events.length > 0) yield events;
  }
}

export const cefExportFormat: SourceFormat = {
  name: 'cef-csl-export',
  title: 'CommonSecurityLog export (CSV or JSON from Log Analytics)',
  asimParser: 'vimNetworkSessionPaloAltoCEF, vimNetworkSessionFortinetFortiGate, vimNetworkSessionCiscoASA, ASimNetworkSessionGenericCEF',
  detection: 'CSV header or JSON keys with DeviceVendor, DeviceProduct and DeviceEventClassID',
  lineBased: false,
  sniff: sniffExport,
  parse: (input, options) => parseExport(input, options),
};
