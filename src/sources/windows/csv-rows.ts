/**
 * CSV exports (Log Analytics, Advanced Hunting) read as rows keyed by header, streaming. Quoted values may
 * span lines (EventData XML does), so these formats are not line-based; each row reports the line it
 * starts on. A row with the wrong number of values, or a quoting error, becomes a stray piece for the caller
 * to reject, and reading goes on after it.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { CsvLineCounter } from '../csv-lines.js';

export type CsvPiece =
  | { readonly kind: 'row'; readonly row: Readonly<Record<string, string>>; readonly line: number; readonly raw: string }
  | { readonly kind: 'stray'; readonly line: number; readonly raw: string; readonly reason: string };

/** Largest record csv-parse will buffer. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;

/**
 * A malformed record (a stray quote, a record past the size limit) is skipped by csv-parse and comes out as a
 * stray piece; reading goes on with the next record, so one damaged line never costs the rows around it.
 */
export async function* readCsvRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<CsvPiece[]> {
  const lines = new CsvLineCounter();
  let skipped: CsvPiece[] = [];
  const parser = Readable.from(chunks).pipe(
    parse({
      bom: true,
      raw: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_records_with_error: true,
      max_record_size: MAX_RECORD_CHARS,
      on_skip: (error: Error | undefined, raw: string | undefined) => {
        const text = raw ?? '';
        skipped.push({ kind: 'stray', line: lines.advance(text), raw: text.replace(/\r?\n$/, ''), reason: `CSV error: ${error?.message ?? 'unreadable record'}` });
        return undefined;
      },
    }),
  );
  let header: string[] | undefined;
  let batch: CsvPiece[] = [];
  const takeSkipped = (): void => {
    if (skipped.length === 0) return;
    batch.push(...skipped);
    skipped = [];
  };
  try {
    for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      takeSkipped();
      const line = lines.advance(raw);
      if (record.length === 1 && record[0] === '') continue; // a blank line
      if (!header) {
        header = record;
        continue;
      }
      const text = record.join(',');
      if (record.length !== header.length) {
        batch.push({ kind: 'stray', line, raw: text, reason: `row has ${record.length} values, the header has ${header.length} columns` });
      } else {
        const row: Record<string, string> = {};
        header.forEach((name, index) => {
          row[name] = record[index] ?? '';
        });
        batch.push({ kind: 'row', row, line, raw: text });
      }
      if (batch.length >= 1024) {
        yield batch;
        batch = [];
      }
    }
    takeSkipped();
  } catch (error) {
    takeSkipped();
    batch.push({ kind: 'stray', line: lines.next(), raw: '', reason: `CSV error: ${(error as Error).message}` });
  }
  if (batch.length > 0) yield batch;
}

/** Header and first complete rows of a CSV sample, or undefined when it does not read as CSV. */
export function sampleCsvRows(lines: readonly string[], maxRows = 50): { header: string[]; rows: Record<string, string>[] } | undefined {
  if (lines.length === 0) return undefined;
  // The sample may cut a quoted multi-line value: then fall back to the header line alone.
  const records = tryParse(lines.join('\n'), maxRows + 1) ?? tryParse(lines[0] ?? '', 1);
  if (!records) return undefined;
  const [header, ...rest] = records;
  if (!header || header.length < 2) return undefined;
  const rows = rest
    .filter((record) => record.length === header.length)
    .map((record) => Object.fromEntries(header.map((name, index) => [name, record[index] ?? ''])));
  return { header, rows };
}

function tryParse(text: string, maxRecords: number): string[][] | undefined {
  try {
    return parseSync(text, { bom: true, relax_column_count: true, skip_empty_lines: true, to: maxRecords }) as string[][];
  } catch {
    return undefined;
  }
}
