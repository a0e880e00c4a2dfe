/**
 * Native ASIM NetworkSession records as JSON: JSON lines (one object per line) and a JSON array
 * (`[ {...}, ... ]`, possibly pretty-printed over many lines). Keys are ASIM column names; values are typed by
 * coerce.ts; other keys (`TenantId`, `_ItemId`, …) are ignored.
 *
 * Two formats because they resume differently: JSON lines can continue a grown file from a byte offset, an
 * array cannot (its elements are not lines).
 */
import { coerceJsonObject, requireKnownTimeZone } from '../asim/coerce.js';
import { ASIM_SCHEMA_NAME } from '../asim/schema.js';
import { mapLines, overlongReject } from './lines.js';
import type { ContentSample, Line, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from './types.js';

const ASIM_PARSER = 'vimNetworkSessionNative (records are already normalized: typed only)';

/**
 * What makes a JSON object an ASIM NetworkSession record rather than another JSON log: `TimeGenerated` plus
 * an ASIM address column or the schema name. Zeek (`ts`, `id.orig_h`), NXLog/Sysmon (`EventID`), Defender
 * (`RemoteIP`, `LocalIP`) and Suricata EVE (`src_ip`) objects carry none of `SrcIpAddr`/`DstIpAddr`/`EventSchema`.
 */
export function asimObjectEvidence(value: unknown): string | undefined {
  if (!isPlainObject(value) || !('TimeGenerated' in value)) return undefined;
  if (value.EventSchema === ASIM_SCHEMA_NAME) return 'TimeGenerated and EventSchema "NetworkSession"';
  const address = ['SrcIpAddr', 'DstIpAddr'].find((key) => key in value);
  return address ? `TimeGenerated and ${address}` : undefined;
}

export const asimJsonLines: SourceFormat = {
  name: 'asim-jsonl',
  title: 'ASIM NetworkSession records, JSON lines',
  asimParser: ASIM_PARSER,
  detection: 'first line is a JSON object with TimeGenerated and SrcIpAddr, DstIpAddr or EventSchema "NetworkSession"',
  lineBased: true,
  sniff: sniffJsonLines,
  parse: (input, options) => parseJsonLines(input, options),
};

export const asimJsonArray: SourceFormat = {
  name: 'asim-json-array',
  title: 'ASIM NetworkSession records, JSON array',
  asimParser: ASIM_PARSER,
  detection: 'a JSON array whose first element has TimeGenerated and SrcIpAddr, DstIpAddr or EventSchema "NetworkSession"',
  lineBased: false,
  sniff: sniffJsonArray,
  parse: (input, options) => parseJsonArray(input, options),
};

function sniffJsonLines(sample: ContentSample): SniffVerdict {
  const first = sample.lines.find((line) => line.trim() !== '')?.trim();
  if (!first?.startsWith('{')) return { verdict: 'no' };
  const evidence = asimObjectEvidence(tryParseJson(first));
  return evidence ? { verdict: 'match', reason: `JSON lines: first object has ${evidence}` } : { verdict: 'no' };
}

function sniffJsonArray(sample: ContentSample): SniffVerdict {
  if (!sample.text.trimStart().startsWith('[')) return { verdict: 'no' };
  const scanner = new JsonArrayScanner();
  const items = scanner.feed(sample.text, 1);
  const first = items.find((item) => item.kind === 'element');
  if (!first || first.kind !== 'element') return { verdict: 'no' };
  const evidence = asimObjectEvidence(tryParseJson(first.text));
  return evidence ? { verdict: 'match', reason: `JSON array: first element has ${evidence}` } : { verdict: 'no' };
}

async function* parseJsonLines(input: SourceInput, options: ParseOptions): AsyncGenerator<ParseEvent[]> {
  requireKnownTimeZone(input.name, options.timezone);
  yield* mapLines(input.lines(), (line: Line): ParseEvent | undefined =>
    line.text.trim() === '' ? undefined : eventForJsonText(line.text, line.no, options.timezone),
  );
}

async function* parseJsonArray(input: SourceInput, options: ParseOptions): AsyncGenerator<ParseEvent[]> {
  requireKnownTimeZone(input.name, options.timezone);
  const eventForItem = (item: ScannedItem): ParseEvent =>
    item.kind === 'element'
      ? eventForJsonText(item.text, item.line, options.timezone)
      : { kind: 'reject', line: item.line, reason: item.reason, raw: item.text };
  const scanner = new JsonArrayScanner();
  for await (const batch of input.lines()) {
    const events: ParseEvent[] = [];
    for (const line of batch) {
      if (line.overlongBytes !== undefined) events.push(overlongReject(line));
      else for (const item of scanner.feed(line.text + '\n', line.no)) events.push(eventForItem(item));
    }
    if (events.length > 0) yield events;
  }
  const last = scanner.finish().map(eventForItem);
  if (last.length > 0) yield last;
}

/** One JSON text (a line, or an array element) → a record or a reject. */
function eventForJsonText(text: string, line: number, localZone: string | undefined): ParseEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'reject', line, reason: `not valid JSON: ${(error as Error).message}`, raw: text };
  }
  if (!isPlainObject(value)) return { kind: 'reject', line, reason: 'not a JSON object', raw: text };
  const outcome = coerceJsonObject(value, localZone);
  if (outcome.ok) return { kind: 'record', record: outcome.record, line };
  return { kind: 'reject', line, reason: outcome.reason, field: outcome.field, raw: text };
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Splitting a JSON array into its elements as text, with the line each element starts on.

export type ScannedItem =
  | { readonly kind: 'element'; readonly text: string; readonly line: number }
  | { readonly kind: 'problem'; readonly text: string; readonly line: number; readonly reason: string };

type ScanState = 'before-array' | 'between-elements' | 'in-element' | 'after-array' | 'not-an-array';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * A streaming splitter for a top-level JSON array: it follows only strings and bracket depth, and hands each
 * element's text to JSON.parse. A malformed element becomes a reject on its own as long as its brackets
 * balance; an element whose brackets never balance swallows the rest of the content into one reported
 * problem (there is no reliable point to resynchronise on), which `finish` reports with its start line.
 */
export class JsonArrayScanner {
  private state: ScanState = 'before-array';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private elementLine = 0;
  private arrayLine = 0;

  /** Scans `text` (which starts on line `lineNo`; embedded newlines advance the count). */
  feed(text: string, lineNo: number): ScannedItem[] {
    const items: ScannedItem[] = [];
    let line = lineNo;
    let segmentStart = 0; // start of the part of `text` that belongs to the current element
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x0a) line++;
      switch (this.state) {
        case 'before-array':
          if (isJsonSpace(code)) continue;
          if (code === OPEN_BRACKET) {
            this.state = 'between-elements';
            this.arrayLine = line;
          } else {
            this.state = 'not-an-array';
            items.push({ kind: 'problem', line, reason: 'content is not a JSON array (no leading [)', text: firstLineOf(text, i) });
          }
          continue;
        case 'between-elements':
          // Commas are separators; a missing or doubled comma is tolerated (the elements are still whole).
          if (isJsonSpace(code) || code === COMMA) continue;
          if (code === CLOSE_BRACKET) {
            this.state = 'after-array';
            continue;
          }
          this.state = 'in-element';
          this.elementLine = line;
          this.depth = 0;
          segmentStart = i;
          if (this.consume(code)) {
            items.push(this.takeElement(text, segmentStart, i + 1));
          }
          continue;
        case 'in-element':
          if (!this.inString && this.depth === 0 && (code === COMMA || code === CLOSE_BRACKET)) {
            items.push(this.takeElement(text, segmentStart, i));
            this.state = code === COMMA ? 'between-elements' : 'after-array';
            continue;
          }
          if (this.consume(code)) items.push(this.takeElement(text, segmentStart, i + 1));
          continue;
        case 'after-array':
          if (isJsonSpace(code)) continue;
          items.push({ kind: 'problem', line, reason: 'content after the end of the JSON array', text: firstLineOf(text, i) });
          // One problem per line is enough: skip to the line's end.
          i = skipToLineEnd(text, i) - 1;
          continue;
        case 'not-an-array':
          return items;
      }
    }
    if (this.state === 'in-element') this.parts.push(text.slice(segmentStart));
    return items;
  }

  /** Call at the end of content: reports an element or array that was never closed. */
  finish(): ScannedItem[] {
    if (this.state === 'in-element') {
      const text = this.parts.join('').trim();
      this.parts = [];
      this.state = 'after-array';
      // A bare value that ends with the content (`[1` truncated) is still reported: the array never closed.
      return [{ kind: 'problem', line: this.elementLine, reason: 'element not terminated: the JSON array ends inside it (brackets unbalanced or file truncated)', text }];
    }
    if (this.state === 'between-elements') {
      this.state = 'after-array';
      return [{ kind: 'problem', line: this.arrayLine, reason: 'the JSON array is never closed (no final ]): file truncated?', text: '' }];
    }
    return [];
  }

  /** Follows strings and brackets; true when this character closes the element (depth back to 0). */
  private consume(code: number): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (code === BACKSLASH) this.escaped = true;
      else if (code === QUOTE) {
        this.inString = false;
        return this.depth === 0;
      }
      return false;
    }
    if (code === QUOTE) this.inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      this.depth--;
      return this.depth <= 0;
    }
    return false;
  }

  private takeElement(text: string, start: number, end: number): ScannedItem {
    this.parts.push(text.slice(start, end));
    const element = this.parts.join('').trim();
    this.parts = [];
    this.state = 'between-elements';
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    return { kind: 'element', text: element, line: this.elementLine };
  }
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function firstLineOf(text: string, from: number): string {
  return text.slice(from, skipToLineEnd(text, from));
}

function skipToLineEnd(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  return newline === -1 ? text.length : newline;
}
