/**
 * Line numbers of CSV records, counted from each record's raw text as csv-parse hands it over (`raw: true`):
 * the empty lines skipped before the record, the record (quoted values may span lines), its terminator.
 * csv-parse's own `lines` counter takes a lone CR as a line of its own and reports where a record ends, so
 * numbers taken from it drift from what an editor shows.
 */
export class CsvLineCounter {
  /** The line the last record ended on. */
  private last = 0;

  /** The first line of the record whose raw text this is. */
  advance(raw: string): number {
    let leading = /^(?:\r?\n)*/.exec(raw)![0];
    if (leading.length === raw.length) leading = raw.replace(/\r?\n$/, ''); // the record itself looks empty ("\r")
    const first = this.last + 1 + countNewlines(leading);
    this.last = first + countNewlines(raw.slice(leading.length).replace(/\r?\n$/, ''));
    return first;
  }

  /** The line after the last record read (where an error that ends reading is reported). */
  next(): number {
    return this.last + 1;
  }
}

export function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}
