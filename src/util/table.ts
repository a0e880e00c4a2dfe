/**
 * Aligned text tables for people reading a terminal. Widths are measured in one pass over the cells (never by
 * spreading a column into `Math.max`, which overflows the call stack on a large result); long cells are cut with
 * `…`; columns with nothing in them can be left out; and the table can be fitted to a width (a terminal's) by
 * narrowing its widest columns and, when that is not enough, leaving out the rightmost ones. What was left out is
 * reported, so a caller can say so.
 */
export type Align = 'left' | 'right';

/** Which end of a too-long cell is kept: the start (default), or the end (file paths, where the name matters). */
export type Keep = 'start' | 'end';

export interface TableOptions {
  readonly align?: readonly Align[];
  readonly keep?: readonly Keep[];
  /** The widest a line may be (a terminal's columns); undefined: no limit. */
  readonly width?: number;
  /** The widest a cell may be before it is cut; default: no limit. */
  readonly maxCellWidth?: number;
  /** Leave out columns whose every cell is empty (only when there are rows). */
  readonly dropEmptyColumns?: boolean;
}

export interface FittedTable {
  readonly text: string;
  /** Columns left out because every cell was empty. */
  readonly emptyColumns: readonly string[];
  /** Columns left out because the table would not fit the width. */
  readonly overflowColumns: readonly string[];
  /** Some cell (or header) was cut short. */
  readonly cut: boolean;
}

const GAP = 2;
const ELLIPSIS = '…';
/** A column narrowed to fit a width keeps at least this many characters (or its natural width, if smaller). */
const NARROWEST = 8;

/** Tabs, line breaks and other control characters would break the alignment: each shows as one space. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text) ? text.replace(/[\u0000-\u001f\u007f]/g, ' ') : text;
}

export function cutText(text: string, width: number, keep: Keep = 'start'): string {
  if (text.length <= width) return text;
  if (width <= 1) return ELLIPSIS.slice(0, Math.max(0, width));
  return keep === 'start' ? `${text.slice(0, width - 1)}${ELLIPSIS}` : `${ELLIPSIS}${text.slice(text.length - width + 1)}`;
}

export function fitTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): FittedTable {
  const maxCell = options.maxCellWidth ?? Infinity;
  const natural = headers.map((header) => header.length);
  const filled = headers.map(() => false);
  for (const row of rows) {
    for (let column = 0; column < headers.length; column++) {
      const length = (row[column] ?? '').length;
      if (length > natural[column]!) natural[column] = length;
      if (length > 0) filled[column] = true;
    }
  }
  let shown = headers.map((_, column) => column);
  const emptyColumns: string[] = [];
  if (options.dropEmptyColumns && rows.length > 0) {
    emptyColumns.push(...shown.filter((column) => !filled[column]).map((column) => headers[column]!));
    shown = shown.filter((column) => filled[column]);
  }
  // A header is never cut by the cell limit, only by fitting a width.
  const widths = new Map(shown.map((column) => [column, Math.min(natural[column]!, Math.max(maxCell, headers[column]!.length))]));
  const overflowColumns: string[] = [];
  if (options.width !== undefined) {
    const fitted = fitWidths(shown, widths, options.width);
    overflowColumns.push(...shown.slice(fitted.length).map((column) => headers[column]!));
    shown = fitted;
  }
  let cut = false;
  const line = (cells: (column: number) => string): string =>
    shown
      .map((column) => {
        const width = widths.get(column)!;
        const text = printable(cells(column));
        if (text.length > width) cut = true;
        const fitted = cutText(text, width, options.keep?.[column]);
        return options.align?.[column] === 'right' ? fitted.padStart(width) : fitted.padEnd(width);
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  const lines = [line((column) => headers[column]!), line((column) => '-'.repeat(widths.get(column)!))];
  for (const row of rows) lines.push(line((column) => row[column] ?? ''));
  return { text: lines.join('\n'), emptyColumns, overflowColumns, cut };
}

/**
 * Narrows the widest columns (all to one common cap, found by bisection) until the table fits `width`; columns
 * that still do not fit at their narrowest are left out from the right. Returns the columns kept; `widths` is
 * updated in place.
 */
function fitWidths(columns: readonly number[], widths: Map<number, number>, width: number): number[] {
  const floor = (column: number): number => Math.min(widths.get(column)!, NARROWEST);
  const total = (kept: readonly number[], cap: number): number =>
    kept.reduce((sum, column) => sum + Math.max(floor(column), Math.min(widths.get(column)!, cap)), 0) + GAP * Math.max(0, kept.length - 1);
  let kept = [...columns];
  while (kept.length > 1 && total(kept, 0) > width) kept = kept.slice(0, -1);
  let widest = 0;
  for (const column of kept) widest = Math.max(widest, widths.get(column)!);
  if (total(kept, widest) <= width) return kept;
  let low = 0;
  let high = widest;
  while (low < high) {
    const cap = Math.ceil((low + high) / 2);
    if (total(kept, cap) <= width) low = cap;
    else high = cap - 1;
  }
  let spare = width - total(kept, low);
  for (const column of kept) {
    const capped = Math.max(floor(column), Math.min(widths.get(column)!, low));
    // What the cap leaves unused goes, a character each, to the columns it narrowed.
    const bonus = widths.get(column)! > capped && spare > 0 ? 1 : 0;
    spare -= bonus;
    widths.set(column, capped + bonus);
  }
  return kept;
}

/** A plain table: every cell whole, no width limit (or a width and cell limit, through the options). */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, options: readonly Align[] | TableOptions = {}): string {
  return fitTable(headers, rows, Array.isArray(options) ? { align: options as readonly Align[] } : (options as TableOptions)).text;
}

/** What a fitted table left out, as lines for the reader (empty when nothing was). */
export function tableNotes(table: FittedTable, wide = '--wide'): string[] {
  const notes: string[] = [];
  const list = (names: readonly string[]): string => (names.length <= 6 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);
  if (table.emptyColumns.length > 0) notes.push(`(${table.emptyColumns.length} empty column${table.emptyColumns.length === 1 ? '' : 's'} not shown: ${list(table.emptyColumns)}; ${wide} shows them)`);
  if (table.overflowColumns.length > 0) notes.push(`(${table.overflowColumns.length} column${table.overflowColumns.length === 1 ? '' : 's'} did not fit the width: ${list(table.overflowColumns)}; use project, or ${wide})`);
  if (table.cut) notes.push(`(long values cut with …; ${wide} or another --output shows them whole)`);
  return notes;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
