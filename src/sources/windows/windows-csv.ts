/**
 * `windows-events-csv`: Log Analytics CSV exports of the `Event`, `WindowsEvent` and `SecurityEvent` tables
 * (columns `TimeGenerated [UTC]` or `[Local Time]`, `EventID`, `EventData`, `Computer`, and `Source`,
 * `Provider` or `EventSourceName`), as Sentinel's sample files are. TimeGenerated is the export's column —
 * what the ASIM parsers pass through. Each row goes to the mapper its table, provider and ID call for.
 */
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from '../types.js';
import { readCsvRows, sampleCsvRows } from './csv-rows.js';
import { mapWindowsEvent } from './dispatch.js';
import { tableOfRow, windowsEventOfRow } from './log-analytics.js';
import { type Mapped, rejected, toParseEvent } from './mapped.js';
import { describeSample, type SampleTally, tallyEvent } from './sniffing.js';
import { windowsEventsJsonl } from './windows-json.js';

function mapRow(row: Readonly<Record<string, string>>, options: ParseOptions): Mapped {
  const table = tableOfRow(row);
  if (!table) return { kind: 'ignored', what: `row of table "${row['Type'] ?? ''}", not Event/WindowsEvent/SecurityEvent` };
  return mapWindowsEvent(windowsEventOfRow(row, table, options.timezone));
}

export const windowsEventsCsv: SourceFormat = {
  name: 'windows-events-csv',
  title: 'Log Analytics CSV export of Event / WindowsEvent / SecurityEvent: Sysmon EID 3, Security 5150–5159',
  asimParser: windowsEventsJsonl.asimParser,
  detection: 'CSV header with EventID, EventData and TimeGenerated (any suffix), plus Source/EventLog (Event), Provider (WindowsEvent) or EventSourceName (SecurityEvent), or a Type column naming one of them',
  lineBased: false,
  sniff(sample: ContentSample): SniffVerdict {
    const parsed = sampleCsvRows(sample.lines);
    if (!parsed) return { verdict: 'no', reason: 'not CSV with a header' };
    const headerRow = Object.fromEntries(parsed.header.map((name) => [name, '']));
    const missing = ['EventID', 'EventData', 'TimeGenerated'].filter(
      (name) => !parsed.header.some((column) => column === name || column.startsWith(`${name} [`)),
    );
    if (missing.length > 0) return { verdict: 'no', reason: `no ${missing.join(', ')} column` };
    const table = tableOfRow(headerRow);
    if (!table) return { verdict: 'no', reason: 'columns of none of Event (Source, EventLog), WindowsEvent (Provider), SecurityEvent (EventSourceName)' };
    const tally: SampleTally = { events: 0, network: 0, other: 0, dialects: new Set([`Log Analytics ${table} table CSV export`]) };
    for (const row of parsed.rows) tallyEvent(tally, mapRow(row, { timezone: 'UTC' }));
    return { verdict: 'match', reason: describeSample(tally) };
  },
  async *parse(input: SourceInput, options: ParseOptions): AsyncIterable<ParseEvent[]> {
    for await (const pieces of readCsvRows(input.bytes())) {
      yield pieces.map((piece) =>
        piece.kind === 'row'
          ? toParseEvent(mapRow(piece.row, options), piece.line, piece.raw)
          : toParseEvent(rejected(piece.reason), piece.line, piece.raw),
      );
    }
  },
};
