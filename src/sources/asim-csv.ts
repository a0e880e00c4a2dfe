/**
 * Native ASIM NetworkSession records as CSV with a header of ASIM column names, including Log Analytics /
 * Sentinel exports (formats.md §12): headers `TimeGenerated [UTC]` / `TimeGenerated [Local Time]` (the suffix is
 * stripped; `[Local Time]` values need the `timezone` option, else each such value is a reject that says so; the
 * option also sets the zone of zone-less times under plain headers, which are otherwise UTC),
 * times like `7/5/2023, 2:16:44.756 PM`, quoted fields holding commas and newlines, extra table columns
 * (`TenantId`, `_ItemId`, …) ignored.
 *
 * csv-parse reads the stream; its `on_record` / `on_skip` hooks run in content order, so each record's first
 * line is known exactly (the previous record's last line + 1 + empty lines skipped in between).
 */
import { CSV_RECORD_DELIMITERS, CsvLineCounter, isBlankRecord, recordText } from './csv-lines.js';
import { parse, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { coerceRecord, planColumns, requireKnownTimeZone, type ColumnBinding, type ColumnPlan } from '../asim/coerce.js';
import type { ContentSample, ParseEvent, ParseOptions, SniffVerdict, SourceFormat, SourceInput } from './types.js';

/** A header is an ASIM header when it names TimeGenerated and at least this share of its columns are ASIM. */
const MIN_ASIM_SHARE = 0.5;
const MIN_ASIM_COLUMNS = 3;

export const asimCsv: SourceFormat = {
  name: 'asim-csv',
  title: 'ASIM NetworkSession records, CSV (incl. Log Analytics exports)',
  asimParser: 'vimNetworkSessionNative (records are already normalized: typed only)',
  detection: `first line is a CSV header naming TimeGenerated, with at least half of its columns ASIM columns (after stripping " [UTC]" / " [Local Time]")`,
  lineBased: false,
  sniff: sniffAsimCsv,
  parse: parseAsimCsv,
};

function sniffAsimCsv(sample: ContentSample): SniffVerdict {
  const header = sample.lines[0];
  if (header === undefined) return { verdict: 'no' };
  const names = parseHeaderLine(header);
  if (!names) return { verdict: 'no' };
  const plan = planColumns(names, undefined);
  const bound = plan.bindings.filter((binding) => binding !== undefined);
  const hasTime = bound.some((binding) => binding.column === 'TimeGenerated');
  if (!hasTime || bound.length < MIN_ASIM_COLUMNS || bound.length < names.length * MIN_ASIM_SHARE) return { verdict: 'no' };
  // The reason is what `ingest --explain-format` shows: it is where ignored (non-ASIM) columns are reported.
  const ignored = plan.ignored.length > 0 ? `; ignored: ${plan.ignored.join(', ')}` : '';
  return { verdict: 'match', reason: `CSV header with TimeGenerated and ${bound.length} of ${names.length} columns ASIM${ignored}` };
}

function parseHeaderLine(line: string): string[] | undefined {
  try {
    const rows = parseSync(line, { relax_quotes: true, bom: true }) as string[][];
    return rows[0];
  } catch {
    return undefined;
  }
}

/** What csv-parse hands `on_record` with `raw: true`. */
interface RawRecord {
  readonly record: string[];
  readonly raw: string;
}

async function* parseAsimCsv(input: SourceInput, options: ParseOptions): AsyncGenerator<ParseEvent[]> {
  requireKnownTimeZone(input.name, options.timezone);
  const reader = new CsvRecordReader(input.name, options.timezone);
  const parser = parse({
    bom: true,
    raw: true,
    relax_column_count: true, // a short or long row is our reject, with its line, not a parser failure
    relax_quotes: true, // a stray quote inside a field stays text instead of derailing the rest of the file
    record_delimiter: CSV_RECORD_DELIMITERS,
    skip_empty_lines: false, // blank lines are dropped by the reader, after counting them (csv-lines.ts)
    skip_records_with_error: true,
    on_record: (entry: unknown) => {
      reader.onRecord(entry as RawRecord);
      return null; // events are collected in order by the reader; nothing flows downstream
    },
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      reader.onSkip(error, raw);
      return undefined;
    },
  });
  let parserError: Error | undefined;
  parser.on('error', (error: Error) => {
    parserError = error;
  });
  const ended = new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('error', () => resolve());
  });
  parser.resume();

  for await (const chunk of slices(input.bytes())) {
    parser.write(chunk);
    if (reader.fatal) {
      parser.destroy();
      throw reader.fatal;
    }
    const events = reader.take();
    if (events.length > 0) yield events;
    if (parserError) break;
  }
  parser.end();
  await ended;
  if (reader.fatal) throw reader.fatal;
  if (parserError) reader.onParserFailure(parserError);
  const events = reader.take();
  if (events.length > 0) yield events;
}

/** Events pile up per write: feeding at most this many bytes at a time bounds a batch (an in-memory input is one chunk). */
const MAX_WRITE_BYTES = 256 * 1024;

async function* slices(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += MAX_WRITE_BYTES) yield chunk.subarray(at, at + MAX_WRITE_BYTES);
  }
}

/** Turns csv-parse's records into events, keeping track of header and line numbers. */
class CsvRecordReader {
  private plan: ColumnPlan | undefined;
  private headerWidth = 0;
  private readonly lines = new CsvLineCounter();
  private events: ParseEvent[] = [];
  /** Set when the content cannot be read as ASIM at all (no TimeGenerated column). */
  fatal: Error | undefined;

  constructor(
    private readonly inputName: string,
    private readonly timezone: string | undefined,
  ) {}

  onRecord(entry: RawRecord): void {
    const line = this.advance(entry.raw);
    if (isBlankRecord(entry.record, entry.raw)) return;
    if (!this.plan) {
      this.readHeader(entry.record);
      return;
    }
    const raw = recordText(entry.raw);
    if (entry.record.length !== this.headerWidth) {
      const reason = `has ${entry.record.length} fields, the header has ${this.headerWidth}`;
      this.events.push({ kind: 'reject', line, reason, raw });
      return;
    }
    const outcome = coerceRecord(boundValues(this.plan.bindings, entry.record));
    if (outcome.ok) this.events.push({ kind: 'record', record: outcome.record, line });
    else this.events.push({ kind: 'reject', line, reason: outcome.reason, field: outcome.field, raw });
  }

  onSkip(error: CsvError | undefined, raw: string | undefined): void {
    const line = raw !== undefined ? this.advance(raw) : this.lines.next();
    this.events.push({ kind: 'reject', line, reason: `malformed CSV: ${error?.message ?? 'unreadable record'}`, raw: recordText(raw ?? '') });
  }

  /** An error csv-parse did not skip ends the input: it becomes the last reject, at the line reached. */
  onParserFailure(error: Error): void {
    this.events.push({ kind: 'reject', line: this.lines.next(), reason: `malformed CSV, reading stopped: ${error.message}`, raw: '' });
  }

  take(): ParseEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private advance(raw: string): number {
    return this.lines.advance(raw);
  }

  private readHeader(names: string[]): void {
    this.plan = planColumns(names, this.timezone);
    this.headerWidth = names.length;
    if (!this.plan.bindings.some((binding) => binding?.column === 'TimeGenerated')) {
      this.fatal = new Error(`${this.inputName}: the CSV header has no TimeGenerated column, which every ASIM record needs`);
    }
  }
}

function* boundValues(
  bindings: ReadonlyArray<ColumnBinding | undefined>,
  fields: readonly string[],
): Generator<readonly [ColumnBinding, string]> {
  for (let index = 0; index < bindings.length; index++) {
    const binding = bindings[index];
    if (binding) yield [binding, fields[index] ?? ''];
  }
}
