/**
 * Rows of a Log Analytics table export (CommonSecurityLog, AzureNetworkAnalytics_CL), as CSV with a header or
 * as JSON (an array of objects, or one object per line), streamed with bounded memory.
 *
 * Column names are normalized as Sentinel's own sample loader does: the ` [UTC]` / ` [Local Time]` suffix of
 * datetime headers is stripped; `[Local Time]` columns are remembered so their values can be read in the
 * zone given by the `timezone` option.
 */
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { Micros } from '../../asim/record.js';
import { anyTimestampToMicros } from '../../util/time.js';
import type { ContentSample, SourceInput } from '../types.js';
import { FieldError, shorten, text } from './common.js';
import { oversizedReason, splitJsonElements } from './json-stream.js';
import { wallTimeToUtc } from './zoned-time.js';
import { CsvLineCounter } from '../csv-lines.js';

export type Cell = string | number | boolean | null | undefined | object;

export interface TableRow {
  readonly line: number;
  /** Column → value, keyed by the normalized column name. */
  readonly cells: Readonly<Record<string, Cell>>;
  /** The row as read, for rejects. */
  readonly raw: string;
  /** Columns whose values are wall-clock times in an unknown zone (`[Local Time]`). */
  readonly localTimeColumns: ReadonlySet<string>;
}

export type TableItem = { readonly kind: 'row'; readonly row: TableRow } | { readonly kind: 'bad'; readonly line: number; readonly raw: string; readonly reason: string };

const SUFFIX = /\s*\[(UTC|Local Time)\]$/;

export function normalizeColumn(name: string): { name: string; local: boolean } {
  const match = SUFFIX.exec(name);
  return { name: name.replace(SUFFIX, '').trim(), local: match?.[1] === 'Local Time' };
}

/** The columns of an export sample, from a CSV header or the keys of the first JSON object. */
export function sampleColumns(sample: ContentSample): { columns: Set<string>; kind: 'csv' | 'json' } | undefined {
  const first = sample.lines.find((line) => line.trim() !== '');
  if (first === undefined) return undefined;
  const trimmed = first.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const keys = new Set<string>();
    // Keys of the first object, read textually (the sample may cut the document).
    const firstObject = sample.text.slice(sample.text.indexOf('{'), sample.text.indexOf('{') + 20000);
    for (const match of firstObject.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)) keys.add(normalizeColumn(match[1] ?? '').name);
    return { columns: keys, kind: 'json' };
  }
  const header = splitCsvHeader(trimmed);
  if (header.length < 2) return undefined;
  return { columns: new Set(header.map((name) => normalizeColumn(name).name)), kind: 'csv' };
}

function splitCsvHeader(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(current);
      current = '';
    } else current += char;
  }
  cells.push(current);
  return cells;
}

const BATCH = 1000;

/** Streams the rows of a CSV or JSON export, in batches. */
export async function* readTableRows(input: SourceInput, kind: 'csv' | 'json'): AsyncGenerator<TableItem[]> {
  if (kind === 'csv') yield* readCsvRows(input);
  else yield* readJsonRows(input);
}

async function* readCsvRows(input: SourceInput): AsyncGenerator<TableItem[]> {
  const parser = Readable.from(input.bytes()).pipe(
    parseCsv({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, raw: true }),
  );
  let header: string[] | undefined;
  const local = new Set<string>();
  let batch: TableItem[] = [];
  const lines = new CsvLineCounter();
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      const { record, raw } = item;
      const line = lines.advance(raw);
      if (header === undefined) {
        header = record.map((name) => {
          const column = normalizeColumn(name);
          if (column.local) local.add(column.name);
          return column.name;
        });
        continue;
      }
      if (record.length !== header.length) {
        batch.push({ kind: 'bad', line, raw: raw.trimEnd(), reason: `row has ${record.length} columns, header has ${header.length}` });
      } else {
        const cells: Record<string, Cell> = {};
        header.forEach((name, index) => (cells[name] = record[index]));
        batch.push({ kind: 'row', row: { line, cells, raw: raw.trimEnd(), localTimeColumns: local } });
      }
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    // csv-parse stops at a malformed quote; what was read is kept and the rest is one reject.
    batch.push({ kind: 'bad', line: lines.next(), raw: '', reason: `CSV syntax error: ${(error as Error).message}` });
  }
  if (batch.length > 0) yield batch;
}

async function* readJsonRows(input: SourceInput): AsyncGenerator<TableItem[]> {
  const noLocal = new Set<string>();
  for await (const elements of splitJsonElements(input.bytes())) {
    const batch: TableItem[] = [];
    for (const element of elements) {
      if (element.oversized) {
        batch.push({ kind: 'bad', line: element.line, raw: element.text, reason: oversizedReason(element.oversized) });
        continue;
      }
      if (!element.complete) {
        batch.push({ kind: 'bad', line: element.line, raw: element.text, reason: 'truncated JSON object at end of input' });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(element.text);
      } catch (error) {
        batch.push({ kind: 'bad', line: element.line, raw: element.text, reason: `invalid JSON: ${(error as Error).message}` });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        batch.push({ kind: 'bad', line: element.line, raw: element.text, reason: 'expected a JSON object per row' });
        continue;
      }
      const cells: Record<string, Cell> = {};
      let local: Set<string> = noLocal;
      for (const [key, cell] of Object.entries(value as Record<string, Cell>)) {
        const column = normalizeColumn(key);
        cells[column.name] = cell;
        if (column.local) {
          if (local === noLocal) local = new Set();
          local.add(column.name);
        }
      }
      batch.push({ kind: 'row', row: { line: element.line, cells, raw: element.text, localTimeColumns: local } });
    }
    if (batch.length > 0) yield batch;
  }
}

/** A datetime cell (ISO, Log Analytics `7/5/2023, 2:16:44.756 PM`, epoch seconds); null when empty. */
export function datetimeCell(row: TableRow, column: string, timezone: string | undefined): Micros | null {
  const value = row.cells[column];
  const raw = text(value).trim();
  if (raw === '') return null;
  const micros = anyTimestampToMicros(raw);
  if (micros === null) throw new FieldError(column, `${column} is not a datetime: ${JSON.stringify(shorten(raw))}`);
  return row.localTimeColumns.has(column) ? wallTimeToUtc(micros, timezone) : micros;
}

/** A string cell as Kusto sees it; absent is "". */
export function stringCell(row: TableRow, column: string): string {
  return text(row.cells[column]);
}
