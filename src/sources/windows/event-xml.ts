/**
 * Windows event XML: one `<Event>` as rendered by `wevtutil qe /f:xml`, Get-WinEvent's `ToXml()`, Windows
 * Event Forwarding, or Sysmon for Linux; a file of them, possibly wrapped in `<Events>…</Events>`; and the
 * `<Data Name="…">` EventData fragments that Log Analytics keeps as text in the `Event` and `SecurityEvent`
 * tables.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isoToMicros } from '../../util/time.js';
import { EventData, type WindowsEvent } from './event.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  trimValues: false,
  isArray: (name) => name === 'Data',
});

type XmlNode = { readonly [key: string]: unknown };

function asNode(value: unknown): XmlNode | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as XmlNode) : undefined;
}

/** The text of an element that may carry attributes (`<EventID Qualifiers="">3</EventID>`). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = asNode(value);
  const text = node?.['#text'];
  return typeof text === 'string' ? text : '';
}

function attributeOf(value: unknown, name: string): string {
  const attribute = asNode(value)?.[`@_${name}`];
  return typeof attribute === 'string' ? attribute : '';
}

export type XmlEventResult =
  | { readonly ok: true; readonly event: WindowsEvent }
  | { readonly ok: false; readonly reason: string };

/** Extra context a container adds to an event it holds as XML (a syslog line's HostIP, say). */
export interface XmlEventContext {
  readonly hostIp?: string;
}

/** Parses the text of one `<Event>` element. */
export function readEventXml(xml: string, context: XmlEventContext = {}): XmlEventResult {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { ok: false, reason: `invalid event XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})` };
  const root = asNode(asNode(parser.parse(xml))?.['Event']);
  const system = asNode(root?.['System']);
  if (!root || !system) return { ok: false, reason: 'event XML without <Event><System>' };
  const eventIdText = textOf(system['EventID']).trim();
  const timeCreated = attributeOf(system['TimeCreated'], 'SystemTime');
  const timeGenerated = isoToMicros(timeCreated);
  const recordId = textOf(system['EventRecordID']).trim();
  return {
    ok: true,
    event: {
      provider: attributeOf(system['Provider'], 'Name'),
      eventId: /^\d+$/.test(eventIdText) ? Number(eventIdText) : null,
      channel: textOf(system['Channel']).trim(),
      computer: textOf(system['Computer']).trim(),
      timeGenerated,
      ...(timeGenerated === null
        ? { timeProblem: { field: 'System/TimeCreated/@SystemTime', reason: `not an ISO 8601 time: "${timeCreated}"` } }
        : {}),
      data: eventDataOfNode(asNode(root['EventData'])),
      ...(recordId ? { recordId } : {}),
      ...(context.hostIp ? { hostIp: context.hostIp } : {}),
    },
  };
}

function eventDataOfNode(eventData: XmlNode | undefined): EventData {
  const data = new EventData();
  const items = eventData?.['Data'];
  if (!Array.isArray(items)) return data;
  for (const item of items) {
    const name = attributeOf(item, 'Name');
    if (name) data.set(name, textOf(item));
  }
  return data;
}

const DATA_ELEMENT = /<Data\s+Name\s*=\s*"([^"]*)"\s*(?:\/>|>([\s\S]*?)<\/Data>)/g;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * The `<Data Name="…">value</Data>` elements of an EventData text (Log Analytics `Event.EventData`, wrapped in
 * `<DataItem>`; `SecurityEvent.EventData`), read by name as the ASIM parsers' regex does, entities decoded.
 */
export function eventDataFromXmlText(text: string): EventData {
  const data = new EventData();
  for (const match of text.matchAll(DATA_ELEMENT)) data.set(match[1] ?? '', decodeEntities(match[2] ?? ''));
  return data;
}

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(\w+));/g, (whole, decimal?: string, hex?: string, name?: string) => {
    if (decimal) return safeCodePoint(Number(decimal)) ?? whole;
    if (hex) return safeCodePoint(parseInt(hex, 16)) ?? whole;
    return (name && ENTITIES[name]) ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** One piece of an XML event stream: an `<Event>` element, or text between events that is not markup we expect. */
export type XmlPiece =
  | { readonly kind: 'event'; readonly xml: string; readonly line: number }
  | { readonly kind: 'stray'; readonly text: string; readonly line: number; readonly reason: string };

/** Largest single event we hold in memory; a longer "event" is reported and skipped. */
export const MAX_EVENT_CHARS = 8 * 1024 * 1024;

const EVENT_START = /<(?:\w+:)?Event[\s>]/g;
/** Markup allowed between events: declarations, comments, the `<Events>` wrapper, whitespace. */
const WRAPPER_MARKUP = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/?(?:\w+:)?Events(?:\s[^>]*)?>|\s+/g;

/**
 * Splits a stream of XML text into `<Event>` elements, holding at most one event (plus one chunk) in memory.
 * Text between events other than wrapper markup comes out as `stray` so it can be rejected, not lost.
 */
export async function* splitXmlEvents(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<XmlPiece> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let line = 1; // line number of buffer[0]
  let first = true;
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first) {
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      first = false;
    }
    ({ buffer, line } = yield* drainEvents(buffer, line, false));
  }
  buffer += decoder.decode();
  yield* drainEvents(buffer, line, true);
}

async function* drainEvents(
  text: string,
  startLine: number,
  atEnd: boolean,
): AsyncGenerator<XmlPiece, { buffer: string; line: number }> {
  let buffer = text;
  let line = startLine;
  for (;;) {
    EVENT_START.lastIndex = 0;
    const start = EVENT_START.exec(buffer);
    if (!start) {
      // Keep an unfinished tag (`<Eve`, `<?xm`) for the next chunk to complete.
      const keep = atEnd ? 0 : unfinishedTagLength(buffer);
      const gap = buffer.slice(0, buffer.length - keep);
      const stray = strayPiece(gap, line);
      if (stray) yield stray;
      line += countNewlines(gap);
      return { buffer: buffer.slice(buffer.length - keep), line };
    }
    const gap = buffer.slice(0, start.index);
    const stray = strayPiece(gap, line);
    if (stray) yield stray;
    line += countNewlines(gap);
    buffer = buffer.slice(start.index);
    const closing = /<\/(?:\w+:)?Event\s*>/g;
    const end = closing.exec(buffer);
    if (!end) {
      if (atEnd) {
        yield { kind: 'stray', text: buffer, line, reason: 'truncated <Event>: no closing </Event>' };
        return { buffer: '', line: line + countNewlines(buffer) };
      }
      if (buffer.length > MAX_EVENT_CHARS) {
        yield { kind: 'stray', text: buffer.slice(0, 200), line, reason: `<Event> longer than ${MAX_EVENT_CHARS} characters` };
        line += countNewlines(buffer);
        return { buffer: '', line };
      }
      return { buffer, line };
    }
    // An earlier `<Event` that never closed must not swallow the complete event after it.
    EVENT_START.lastIndex = 1;
    const restart = EVENT_START.exec(buffer);
    if (restart && restart.index < end.index) {
      const unclosed = buffer.slice(0, restart.index);
      yield { kind: 'stray', text: unclosed, line, reason: 'unclosed <Event>: another <Event> starts before its </Event>' };
      line += countNewlines(unclosed);
      buffer = buffer.slice(restart.index);
      continue;
    }
    const stop = end.index + end[0].length;
    const xml = buffer.slice(0, stop);
    yield { kind: 'event', xml, line };
    line += countNewlines(xml);
    buffer = buffer.slice(stop);
  }
}

function unfinishedTagLength(buffer: string): number {
  const open = buffer.lastIndexOf('<');
  return open !== -1 && buffer.indexOf('>', open) === -1 ? buffer.length - open : 0;
}

/** The stray text of a gap (wrapper markup blanked out) and the line it starts on (the gap starts on `line`). */
function strayPiece(gap: string, line: number): XmlPiece | undefined {
  const masked = gap.replace(WRAPPER_MARKUP, (markup) => markup.replace(/[^\n]/g, ' '));
  const at = masked.search(/\S/);
  if (at === -1) return undefined;
  const text = masked.slice(at).trim().replace(/\s+/g, ' ');
  return { kind: 'stray', text, line: line + countNewlines(gap.slice(0, at)), reason: 'text outside any <Event> element' };
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}
