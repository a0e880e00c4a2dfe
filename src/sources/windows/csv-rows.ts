/**
 * CSV exports (Log Analytics, Advanced Hunting) read as rows keyed by header, streaming. Quoted values may
 * span lines (EventData XML does), so these formats are not line-based; each row reports the line it
 * starts on. A row with the wrong number of values, or a quoting error, becomes a stray piece for the caller
 * to reject; a quoting error ends the input, since nothing after it can be delimited reliably.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

export type CsvPiece =
  | { readonly kind: 'row'; readonly row: Readonly<Record<string, string>>; readonly line: number; readonly raw: string }
  | { readonly kind: 'stray'; readonly line: number; readonly raw: string; readonly reason: string };

/** Largest record csv-parse will buffer. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;

export async function* readCsvRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<CsvPiece[]> {
  const parser = Readable.from(chunks).pipe(parse({ bom: true, relax_column_count: true, max_record_size: MAX_RECORD_CHARS }));
  let header: string[] | undefined;
  // Lines are counted from the values themselves (a record spans 1 + the newlines inside its quoted values):
  // csv-parse's own count takes the CR and LF of a quoted CRLF as two lines.
  let nextLine = 1;
  let batch: CsvPiece[] = [];
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine += 1 + record.reduce((sum, value) => sum + countNewlines(value), 0);
      if (record.length === 1 && record[0] === '') continue; // a blank line
      if (!header) {
        header = record;
        continue;
      }
      const raw = record.join(',');
      if (record.length !== header.length) {
        batch.push({ kind: 'stray', line, raw, reason: `row has ${record.length} values, the header has ${header.length} columns` });
      } else {
        const row: Record<string, string> = {};
        header.forEach((name, index) => {
          row[name] = record[index] ?? '';
        });
        batch.push({ kind: 'row', row, line, raw });
      }
      if (batch.length >= 1024) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    batch.push({ kind: 'stray', line: nextLine, raw: '', reason: `CSV error: ${(error as Error).message}` });
  }
  if (batch.length > 0) yield batch;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
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
