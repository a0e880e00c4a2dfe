/**
 * Zeek conn records as JSON lines, in the dialects of formats.md §2:
 * - Zeek's JSON writer: dotted keys (`id.orig_h`), epoch `ts`, unset fields omitted (or null);
 * - json-streaming-logs: ISO `ts`, `_path` and `_write_ts` (Corelight's shape, the one the parser reads);
 * - SIEM-flattened: underscore keys (`id_orig_h`) with `@stream` / `@system` / `@proc`;
 * - mixed streams of every log type, where only conn (and Corelight's conn_red) records are read and the
 *   others are `ignored` under their stream name.
 * Key styles are resolved per key, so a file mixing them still reads.
 */
import type { ContentSample, Line, ParseEvent, SniffVerdict, SourceFormat, SourceInput } from './types.js';
import { mapLines } from './lines.js';
import type { Micros } from '../asim/record.js';
import { epochNumberToMicros } from '../util/time.js';
import {
  KIND_EXPECTATION,
  REQUIRED_ZEEK_FIELDS,
  ZEEK_CONN_FIELDS,
  emptyConn,
  getSlot,
  isConnPath,
  parseBoolText,
  parseEpochText,
  parseInterval,
  parsePort,
  parseTimeText,
  parseUnsigned,
  resetConn,
  setSlot,
  zeekConnToAsim,
  type ZeekConn,
  type ZeekFieldSpec,
  type ZeekValue,
} from './zeek-mapping.js';
import { parseJson } from './json-depth.js';

/** Keys other than the dotted Zeek names that mean the same field. */
const EXTRA_KEY_ALIASES: ReadonlyArray<[string, string]> = [
  ['@system', '_system_name'], // SIEM-flattened sensor name → Dvc, like Corelight's _system_name
];

/** Every JSON key we read → its field: the dotted name, its underscore spelling, and the aliases above. */
const FIELD_BY_JSON_KEY: ReadonlyMap<string, ZeekFieldSpec> = (() => {
  const keys = new Map<string, ZeekFieldSpec>();
  for (const spec of ZEEK_CONN_FIELDS) {
    keys.set(spec.zeek, spec);
    if (spec.zeek.includes('.')) keys.set(spec.zeek.replaceAll('.', '_'), spec);
  }
  for (const [alias, zeek] of EXTRA_KEY_ALIASES) {
    const spec = keys.get(zeek);
    if (spec) keys.set(alias, spec);
  }
  return keys;
})();

/** The keys naming a record's log stream: `_path` (Zeek/Corelight) or `@stream` (SIEM-flattened). */
const STREAM_KEYS = ['_path', '@stream'] as const;

type JsonObject = { [key: string]: unknown };

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function streamOf(record: JsonObject): string | undefined {
  for (const key of STREAM_KEYS) {
    const stream = record[key];
    if (typeof stream === 'string') return stream;
  }
  return undefined;
}

/** Reads one JSON value as its kind; undefined means it is not of that kind. null (unset) is handled by the caller. */
function readJsonValue(spec: ZeekFieldSpec, value: unknown): ZeekValue | undefined {
  switch (spec.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value); // vlan is a number
      if (Array.isArray(value)) return value.join(','); // Zeek writes sets as arrays
      return undefined;
    case 'time':
      if (typeof value === 'number') return epochNumberToMicros(value) ?? undefined;
      return typeof value === 'string' ? (parseTimeText(value.trim()) ?? undefined) : undefined;
    case 'port':
      if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 65535 ? value : undefined;
      return typeof value === 'string' ? (parsePort(value) ?? undefined) : undefined;
    case 'count':
      if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
      return typeof value === 'string' ? (parseUnsigned(value) ?? undefined) : undefined;
    case 'interval':
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      return typeof value === 'string' ? (parseInterval(value) ?? undefined) : undefined;
    case 'bool':
      if (typeof value === 'boolean') return value;
      return typeof value === 'string' ? (parseBoolText(value) ?? undefined) : undefined;
  }
}

/**
 * A time written as a JSON number. Zeek may write more digits than a double holds ("1588207484.7373419"):
 * read the number's own text from the line so the microseconds are truncated exactly as in TSV and as
 * util/time.ts does, instead of rounding the double. Inside a JSON string a quote is escaped, so the text
 * `"ts":` can only be a key; it may be a nested object's key, hence the check that its number is the one
 * JSON.parse gave, with the double as the fallback.
 */
function timeOfJsonNumber(lineText: string, key: string, value: number): Micros | null | undefined {
  const needle = `"${key}":`;
  const at = lineText.indexOf(needle);
  if (at !== -1) {
    let start = at + needle.length;
    while (lineText.charCodeAt(start) === 32) start++;
    let end = start;
    while (end < lineText.length && isNumberChar(lineText.charCodeAt(end))) end++;
    const text = lineText.slice(start, end);
    if (Number(text) === value) {
      const exact = parseEpochText(text);
      if (exact !== null) return exact;
    }
  }
  return epochNumberToMicros(value) ?? undefined;
}

function isNumberChar(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46 /* . */ || code === 45 /* - */ || code === 43 /* + */ || code === 101 || code === 69; /* e E */
}

function isUnset(value: ZeekValue): boolean {
  return value === null || value === '';
}

/** For reject messages: a JSON value as it appears in the line. */
function shown(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

function reject(line: Line, reason: string, field?: string): ParseEvent {
  return field === undefined
    ? { kind: 'reject', line: line.no, reason, raw: line.text }
    : { kind: 'reject', line: line.no, reason, field, raw: line.text };
}

class ZeekJsonReader {
  private readonly conn: ZeekConn = emptyConn();

  readonly parseLine = (line: Line): ParseEvent | undefined => {
    const text = line.text;
    if (text.trim().length === 0) return undefined;
    let parsed: unknown;
    try {
      parsed = parseJson(text);
    } catch (error) {
      return reject(line, `not valid JSON: ${(error as Error).message}`);
    }
    if (!isJsonObject(parsed)) return reject(line, 'not a JSON object');
    // Records without a stream name are taken as conn: the file was recognised as a conn log.
    const stream = streamOf(parsed);
    if (stream !== undefined && !isConnPath(stream)) return { kind: 'ignored', line: line.no, what: stream };
    return this.readRecord(line, parsed);
  };

  private readRecord(line: Line, record: JsonObject): ParseEvent {
    const conn = this.conn;
    resetConn(conn);
    for (const key in record) {
      const spec = FIELD_BY_JSON_KEY.get(key);
      if (spec === undefined) continue;
      const value = record[key];
      if (value === null || value === undefined) continue; // json_include_unset_fields writes null
      const read =
        spec.kind === 'time' && typeof value === 'number' ? timeOfJsonNumber(line.text, key, value) : readJsonValue(spec, value);
      if (read === undefined) return reject(line, `${key}: ${shown(value)} is not ${KIND_EXPECTATION[spec.kind]}`, key);
      setSlot(conn, spec.slot, read);
    }
    for (const spec of REQUIRED_ZEEK_FIELDS) {
      if (isUnset(getSlot(conn, spec.slot))) return reject(line, `missing ${spec.zeek}`, spec.zeek);
    }
    return { kind: 'record', record: zeekConnToAsim(conn), line: line.no };
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Conn-only fields: a Zeek record with these but no stream name is a conn record (dns, http… have none). */
const CONN_ONLY_KEYS = ['conn_state', 'history', 'orig_pkts', 'missed_bytes'];

function hasZeekIds(record: JsonObject): boolean {
  return 'uid' in record && ('id.orig_h' in record || 'id_orig_h' in record);
}

function looksLikeUnnamedConn(record: JsonObject): boolean {
  return hasZeekIds(record) && CONN_ONLY_KEYS.some((key) => key in record);
}

function describeDialect(record: JsonObject): string {
  const keys = 'id_orig_h' in record ? 'underscore keys' : 'dotted keys';
  const stream = '_path' in record ? ', _path' : '@stream' in record ? ', @stream' : '';
  return `${keys}${stream}`;
}

function sniffZeekJson(sample: ContentSample): SniffVerdict {
  const lines = sample.lines.filter((line) => line.trim().length > 0);
  if (lines.length === 0 || !(lines[0] as string).trimStart().startsWith('{')) return { verdict: 'no' };
  const otherStreams = new Set<string>();
  let zeekWithoutConn = false;
  for (const [index, line] of lines.entries()) {
    let parsed: unknown;
    try {
      parsed = parseJson(line);
    } catch {
      if (index === 0) return { verdict: 'no' };
      continue;
    }
    if (!isJsonObject(parsed)) {
      if (index === 0) return { verdict: 'no' };
      continue;
    }
    const stream = streamOf(parsed);
    if (stream !== undefined && isConnPath(stream) && hasZeekIds(parsed)) {
      return { verdict: 'match', reason: `Zeek JSON conn records (${describeDialect(parsed)})` };
    }
    if (stream === undefined && looksLikeUnnamedConn(parsed)) {
      return { verdict: 'match', reason: `Zeek JSON conn records (${describeDialect(parsed)})` };
    }
    if (stream !== undefined && '_path' in parsed) otherStreams.add(stream);
    else if (stream !== undefined && hasZeekIds(parsed)) otherStreams.add(stream);
    else if (hasZeekIds(parsed)) zeekWithoutConn = true;
  }
  if (otherStreams.size > 0) {
    const names = [...otherStreams].join(', ');
    return { verdict: 'not-network-session', reason: `Zeek JSON log streams ${names} without conn records in the sample` };
  }
  if (zeekWithoutConn) {
    return { verdict: 'not-network-session', reason: 'Zeek JSON records (uid, id.*) without conn fields in the sample' };
  }
  return { verdict: 'no' };
}

export const zeekJsonFormat: SourceFormat = {
  name: 'zeek-json',
  title: 'Zeek conn.log (JSON lines: dotted or underscore keys, _path or @stream, mixed streams)',
  asimParser: 'vimNetworkSessionCorelightZeek',
  detection: 'JSON object lines with uid and id.orig_h / id_orig_h and conn fields, or _path / @stream conn',
  lineBased: true,
  sniff: sniffZeekJson,
  parse(input: SourceInput): AsyncIterable<ParseEvent[]> {
    return mapLines(input.lines(), new ZeekJsonReader().parseLine);
  },
};
