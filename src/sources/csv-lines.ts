/**
 * Line numbers of CSV records, counted from each record's raw text as csv-parse hands it over (`raw: true`).
 * csv-parse's own `lines` counter takes a lone CR as a line of its own and reports where a record ends, so
 * numbers taken from it drift from what an editor shows.
 *
 * Every reader parses with `skip_empty_lines: false` and drops blank records itself (`isBlankRecord`): csv-parse
 * 6 keeps only the first character of a two-character delimiter in the raw text, so a skipped blank CRLF line
 * would reach the next record's raw text as a bare CR, indistinguishable from a CR that begins the record.
 * With every line its own record, a raw text is always the record and (the first character of) its terminator.
 */

/**
 * Record delimiters for every CSV reader: CRLF and LF both end a record, in any mix. csv-parse otherwise takes
 * the first terminator it meets as the file's only one, and in a CRLF export a line ended by LF alone (a hand
 * edit, a concatenation) ran on into the next record, which then reported the wrong line (found by fuzzing).
 * A lone CR stays inside its line, as the line counter below treats it.
 */
export const CSV_RECORD_DELIMITERS = ['\r\n', '\n'];

export class CsvLineCounter {
  /** The line the last record ended on. */
  private last = 0;

  /** The first line of the record whose raw text this is. */
  advance(raw: string): number {
    const first = this.last + 1;
    this.last = first + countNewlines(recordText(raw));
    return first;
  }

  /** The line after the last record read (where an error that ends reading is reported). */
  next(): number {
    return this.last + 1;
  }
}

/** A raw record's text without its terminator (CRLF, LF, or the CR csv-parse keeps of a CRLF). */
export function recordText(raw: string): string {
  return raw.replace(/(?:\r\n|\r|\n)$/, '');
}

/** An empty line: csv-parse reads it as one empty field. */
export function isBlankRecord(record: readonly string[], raw: string): boolean {
  return record.length === 1 && record[0] === '' && recordText(raw) === '';
}

export function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}
