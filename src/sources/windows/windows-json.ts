/**
 * Windows events as JSON, one format per layout of the file, each reading every event with the mapper its
 * provider and ID call for (dispatch.ts):
 * - `windows-events-jsonl`: one object per line — NXLog-flattened (the OTRF datasets), Winlogbeat, or Log
 *   Analytics rows (`Event`/`WindowsEvent`/`SecurityEvent`) written as JSON lines. Line-based, so a growing
 *   file can be resumed.
 * - `windows-events-json`: a JSON array of the same objects (a Log Analytics or API export).
 */
import { mapLines } from '../lines.js';
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import type { WindowsEvent } from './event.js';
import { mapWindowsEvent } from './dispatch.js';
import { JsonElementSplitter, splitJsonElements } from './json-stream.js';
import { type ExportRow, tableOfRow, windowsEventOfRow } from './log-analytics.js';
import { rejected, type Mapped, toParseEvent } from './mapped.js';
import { type JsonObject, isNxlogEvent, windowsEventOfNxlog } from './nxlog.js';
import { isWinlogbeatEvent, windowsEventOfWinlogbeat } from './winlogbeat.js';
import { describeSample, type SampleTally, tallyEvent } from './sniffing.js';
import { parseJson } from '../json-depth.js';

export type JsonDialect = 'nxlog' | 'winlogbeat' | 'log-analytics';

/** Which reader understands a JSON object, if any. */
export function dialectOf(object: JsonObject): JsonDialect | undefined {
  if (tableOfRow(object as ExportRow) !== undefined) return 'log-analytics';
  if (isWinlogbeatEvent(object)) return 'winlogbeat';
  if (isNxlogEvent(object)) return 'nxlog';
  return undefined;
}

export function windowsEventOfJson(object: JsonObject, dialect: JsonDialect, options: ParseOptions): WindowsEvent {
  switch (dialect) {
    case 'nxlog':
      return windowsEventOfNxlog(object, options.timezone);
    case 'winlogbeat':
      return windowsEventOfWinlogbeat(object);
    case 'log-analytics': {
      const table = tableOfRow(object as ExportRow);
      if (table === undefined) throw new Error('unreachable: dialect log-analytics without a table');
      return windowsEventOfRow(object as ExportRow, table, options.timezone);
    }
  }
}

type Parsed = { readonly ok: true; readonly object: JsonObject } | { readonly ok: false; readonly reason: string };

function parseObject(text: string): Parsed {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'JSON value is not an object' };
  return { ok: true, object: value as JsonObject };
}

/** One JSON text → what becomes of it. */
export function mapJsonText(text: string, options: ParseOptions): Mapped {
  const parsed = parseObject(text);
  if (!parsed.ok) return rejected(parsed.reason);
  const dialect = dialectOf(parsed.object);
  if (!dialect) return { kind: 'ignored', what: 'JSON object that is not a Windows event (no EventID with SourceName/Channel, winlog, or EventData)' };
  return mapWindowsEvent(windowsEventOfJson(parsed.object, dialect, options));
}

const DIALECT_TITLES: Readonly<Record<JsonDialect, string>> = {
  nxlog: 'NXLog-flattened Windows events (EventID with SourceName/Channel at top level)',
  winlogbeat: 'Winlogbeat events (winlog.event_id, winlog.event_data)',
  'log-analytics': 'Log Analytics Event/WindowsEvent/SecurityEvent rows (EventID, EventData)',
};

function sniffObjects(texts: readonly string[], container: string): SniffVerdict {
  const tally: SampleTally = { events: 0, network: 0, other: 0, dialects: new Set() };
  for (const text of texts) {
    const parsed = parseObject(text);
    if (!parsed.ok) {
      tally.other++;
      continue;
    }
    const dialect = dialectOf(parsed.object);
    if (!dialect) {
      tally.other++;
      continue;
    }
    tally.dialects.add(DIALECT_TITLES[dialect]);
    tallyEvent(tally, mapWindowsEvent(windowsEventOfJson(parsed.object, dialect, {})));
  }
  // Windows events must be most of what the sample holds: a stray event in some other JSON log is not enough.
  if (tally.events === 0 || tally.events < tally.other) {
    return { verdict: 'no', reason: `${tally.events} of ${tally.events + tally.other} sample objects are Windows events (EventID with SourceName/Channel, winlog.event_id, or EventID with EventData)` };
  }
  return { verdict: 'match', reason: `${container} of ${describeSample(tally)}` };
}

export const windowsEventsJsonl: SourceFormat = {
  name: 'windows-events-jsonl',
  title: 'Windows events as JSON lines (NXLog, Winlogbeat, Log Analytics rows): Sysmon EID 3, Security 5150–5159',
  asimParser:
    'vimNetworkSessionMicrosoftSysmon, vimNetworkSessionMicrosoftSysmonWindowsEvent, vimNetworkSessionMicrosoftSecurityEventFirewall, vimNetworkSessionMicrosoftWindowsEventFirewall, vimNetworkSessionLinuxSysmon',
  detection: 'JSON object per line, mostly Windows events: EventID with SourceName/Channel (NXLog), winlog.* (Winlogbeat), or EventID with EventData (Log Analytics)',
  lineBased: true,
  sniff(sample: ContentSample): SniffVerdict {
    const lines = sample.lines.map((line) => line.trim()).filter((line) => line !== '');
    if (lines.length === 0 || !lines[0]?.startsWith('{')) return { verdict: 'no', reason: 'the first line is not a JSON object' };
    return sniffObjects(lines.slice(0, 200), 'JSON lines');
  },
  parse(input: SourceInput, options: ParseOptions): AsyncIterable<ParseEvent[]> {
    return mapLines(input.lines(), (line) => {
      const text = line.text.trim();
      if (text === '') return undefined;
      return toParseEvent(mapJsonText(text, options), line.no, line.text);
    });
  },
};

export const windowsEventsJsonArray: SourceFormat = {
  name: 'windows-events-json',
  title: 'Windows events as a JSON array (Log Analytics Event/WindowsEvent/SecurityEvent export, arrays of NXLog or Winlogbeat events)',
  asimParser: windowsEventsJsonl.asimParser,
  detection: 'a JSON array whose first objects are mostly Windows events (as for windows-events-jsonl)',
  lineBased: false,
  sniff(sample: ContentSample): SniffVerdict {
    if (!sample.text.trimStart().startsWith('[')) return { verdict: 'no', reason: 'not a JSON array' };
    const elements: string[] = [];
    const splitter = new JsonElementSplitter();
    for (const piece of splitter.push(sample.text)) if (piece.kind === 'element') elements.push(piece.text);
    if (elements.length === 0) return { verdict: 'no', reason: 'no complete JSON object in the sample' };
    return sniffObjects(elements.slice(0, 200), 'a JSON array');
  },
  async *parse(input: SourceInput, options: ParseOptions): AsyncIterable<ParseEvent[]> {
    for await (const pieces of splitJsonElements(input.bytes())) {
      yield pieces.map((piece) =>
        piece.kind === 'element'
          ? toParseEvent(mapJsonText(piece.text, options), piece.line, piece.text)
          : toParseEvent(rejected(piece.reason), piece.line, piece.text),
      );
    }
  },
};
