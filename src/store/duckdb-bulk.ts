/**
 * DuckDB's side of a bulk read (see BulkPlan in sources/types.ts): the file read by `read_csv` with every
 * column as text, and the plan's mapping compiled to SQL. Every conversion either gives exactly what the
 * line reader gives or raises with `error()`, which aborts the INSERT; the caller then lets the line reader
 * read the input (and report its rejects with line numbers).
 */
import type { BulkCellKind, BulkPlan, BulkValue } from '../sources/types.js';
import { SHAPE_COLUMN } from './duckdb-shapes.js';
import { quoteIdentifier, quoteString } from './sql.js';

/** Checks a text cell strictly and converts it; the line reader accepts at least these texts, with these values. */
const CONVERSIONS: Record<Exclude<BulkCellKind, 'string' | 'bool'>, { pattern: string; sql: (cell: string) => string }> = {
  port: { pattern: '[0-9]{1,5}', sql: (c) => `CASE WHEN CAST(${c} AS INTEGER) <= 65535 THEN CAST(${c} AS INTEGER) END` },
  count: { pattern: '[0-9]{1,15}', sql: (c) => `CAST(${c} AS BIGINT)` },
  // Epoch seconds to microseconds digit by digit, truncating past the 6th fractional digit, as the line reader does.
  time: {
    pattern: '[0-9]{1,12}(\\.[0-9]{1,9})?',
    sql: (c) =>
      `make_timestamp(CAST(split_part(${c}, '.', 1) AS BIGINT) * 1000000 + CAST(rpad(split_part(${c}, '.', 2), 6, '0')[1:6] AS BIGINT))`,
  },
  'seconds-int': { pattern: '[0-9]{1,9}(\\.[0-9]{1,9})?', sql: (c) => `CAST(split_part(${c}, '.', 1) AS INTEGER)` },
};

function refuse(what: string): string {
  return `error(${quoteString(`bulk read refused: ${what}`)})`;
}

/**
 * One cell. read_csv turns an empty cell into NULL; the line reader reads "" there (a string) or rejects it (any
 * other kind), so an empty cell refuses the bulk read rather than guess.
 */
function cellSql(plan: BulkPlan, field: string, as: BulkCellKind): string {
  return `CASE WHEN ${quoteIdentifier(field)} IS NULL THEN ${refuse(`${field} empty`)} ELSE ${checkedCellSql(plan, field, as)} END`;
}

function checkedCellSql(plan: BulkPlan, field: string, as: BulkCellKind): string {
  const c = quoteIdentifier(field);
  const unset = quoteString(plan.unset);
  const empty = quoteString(plan.empty);
  const required = plan.required.includes(field);
  const missing = required ? refuse(`${field} unset`) : as === 'string' ? "''" : 'NULL';
  if (as === 'string') {
    return `CASE WHEN ${c} = ${unset} OR ${c} = ${empty} THEN ${missing} ELSE ${c} END`;
  }
  if (as === 'bool') {
    return `CASE WHEN ${c} = ${unset} THEN ${missing} WHEN ${c} = 'T' THEN true WHEN ${c} = 'F' THEN false ELSE ${refuse(`${field} not T/F`)} END`;
  }
  const conversion = CONVERSIONS[as];
  const converted = conversion.sql(c);
  const checked = `CASE WHEN regexp_full_match(${c}, ${quoteString(conversion.pattern)}) THEN coalesce(${converted}, ${refuse(`${field} out of range`)}) ELSE ${refuse(`${field} not ${as}`)} END`;
  return `CASE WHEN ${c} = ${unset} THEN ${missing} ELSE ${checked} END`;
}

/** The fields a mapping reads, each with the one kind it is read as. */
function fieldKinds(plan: BulkPlan): Map<string, BulkCellKind> {
  const kinds = new Map<string, BulkCellKind>();
  const need = (field: string, kind: BulkCellKind): void => {
    const known = kinds.get(field);
    if (known && known !== kind) throw new Error(`bulk plan reads ${field} as both ${known} and ${kind}`);
    kinds.set(field, kind);
  };
  for (const value of Object.values(plan.mapping)) {
    switch (value.op) {
      case 'cell':
        need(value.field, value.as);
        break;
      case 'lookup':
      case 'upper':
        need(value.field, 'string');
        break;
      case 'sum':
        for (const field of value.fields) need(field, 'count');
        break;
      case 'firstTime':
        for (const field of value.fields) need(field, 'time');
        break;
      case 'localFlagsDirection':
        need(value.orig, 'bool');
        need(value.resp, 'bool');
        break;
      case 'const':
        break;
    }
  }
  return kinds;
}

/** A mapped value over the converted cells of the inner SELECT (each cell converted once, there). */
function valueSql(value: BulkValue): string {
  switch (value.op) {
    case 'const':
      return value.value === null ? 'NULL' : typeof value.value === 'number' ? String(value.value) : quoteString(value.value);
    case 'cell':
      return quoteIdentifier(value.field);
    case 'lookup': {
      const cases = [...value.table].map(([key, result]) => `WHEN ${quoteString(key)} THEN ${quoteString(result)}`).join(' ');
      return `CASE ${quoteIdentifier(value.field)} ${cases} ELSE '' END`;
    }
    case 'upper':
      return `upper(${quoteIdentifier(value.field)})`;
    case 'sum':
      return `(${quoteIdentifier(value.fields[0])} + ${quoteIdentifier(value.fields[1])})`;
    case 'firstTime':
      return `coalesce(${value.fields.map(quoteIdentifier).join(', ')})`;
    case 'localFlagsDirection': {
      const orig = quoteIdentifier(value.orig);
      const resp = quoteIdentifier(value.resp);
      return `CASE WHEN ${orig} IS NULL OR ${resp} IS NULL THEN '' WHEN ${orig} = ${resp} THEN 'Local' WHEN ${resp} THEN 'Inbound' ELSE 'Outbound' END`;
    }
  }
}

export interface BulkSource {
  /** The file DuckDB reads (bound as a parameter, never spliced). */
  readonly path: string;
  readonly gzip: boolean;
}

/** Which of the mapping's columns the INSERT writes, and the shape id its rows carry (duckdb-shapes.ts). */
export interface StoredLayout {
  readonly stored: Readonly<Record<string, BulkValue>>;
  readonly shapeId?: number;
}

/** read_csv's options for a plan: every column as text, nothing guessed, strict. */
function readCsvOptions(plan: BulkPlan, gzip: boolean): string[] {
  const readerColumns = `{${plan.columns.map((name) => `${quoteString(name)}: 'VARCHAR'`).join(', ')}}`;
  return [
    `delim = ${quoteString(plan.delimiter)}`,
    "quote = ''",
    "escape = ''",
    'header = false',
    // With a comment character, DuckDB's skip counts the lines that are not comments.
    `comment = ${quoteString(plan.comment)}`,
    `skip = ${plan.skipDataLines}`,
    'auto_detect = false',
    'strict_mode = true',
    'null_padding = false',
    `compression = ${gzip ? "'gzip'" : "'none'"}`,
    `columns = ${readerColumns}`,
  ];
}

/**
 * `INSERT INTO target (…) SELECT <mapping> FROM read_csv($path, …)`: $path is the file to read; `extra` columns
 * (not schema columns: the input id) get the SQL given. The ASIM columns written are returned so the caller can
 * make them physical first.
 */
export function bulkInsertSql(
  target: string,
  plan: BulkPlan,
  gzip: boolean,
  layout?: StoredLayout,
  extra: ReadonlyArray<readonly [string, string]> = [],
): { sql: string; columns: string[] } {
  return mappedInsertSql(target, plan, `read_csv($path, ${readCsvOptions(plan, gzip).join(', ')})`, layout, extra);
}

/** The column of a many-file read that carries each row's input id. */
const FILE_INPUT = 'smbwatch_file_input';
const FILE_NAME = 'smbwatch_file_name';

/**
 * Many files with the same plan in one statement (an ingest group): read_csv over the list, each row's input id
 * found by its file name, written to `inputColumn`. One statement instead of one per file: read_csv's set-up (its
 * buffers, its threads) is paid once, which is most of what a small file costs. Paths are quoted literals.
 */
export function manyFilesInsertSql(
  target: string,
  plan: BulkPlan,
  gzip: boolean,
  layout: StoredLayout,
  files: ReadonlyArray<{ readonly path: string; readonly inputId: number }>,
  inputColumn: string,
): { sql: string; columns: string[] } {
  const paths = files.map((file) => quoteString(file.path)).join(', ');
  const ids = files.map((file) => `(${quoteString(file.path)}, ${Math.trunc(file.inputId)})`).join(', ');
  const read = `read_csv([${paths}], ${readCsvOptions(plan, gzip).join(', ')}, filename = ${quoteString(FILE_NAME)})`;
  const source = `(SELECT r.*, f.id AS ${quoteIdentifier(FILE_INPUT)} FROM ${read} AS r JOIN (VALUES ${ids}) AS f(path, id) ON r.${quoteIdentifier(FILE_NAME)} = f.path)`;
  return mappedInsertSql(target, plan, source, layout, [[inputColumn, quoteIdentifier(FILE_INPUT)]], [FILE_INPUT]);
}

/**
 * The plan's mapping over any relation whose columns are the plan's columns as text, exactly as a file read by
 * bulkInsertSql would be mapped (generators use it to make the records ingest would store, without a file). Every
 * cell the mapping reads is checked, whichever columns are written.
 */
export function mappedInsertSql(
  target: string,
  plan: BulkPlan,
  source: string,
  layout?: StoredLayout,
  extra: ReadonlyArray<readonly [string, string]> = [],
  /** Columns of the source the extra columns read, carried through unconverted. */
  carried: readonly string[] = [],
): { sql: string; columns: string[] } {
  const stored = layout?.stored ?? plan.mapping;
  const columns = Object.keys(stored);
  const converted = [
    ...[...fieldKinds(plan)].map(([field, kind]) => `${cellSql(plan, field, kind)} AS ${quoteIdentifier(field)}`),
    ...carried.map(quoteIdentifier),
  ];
  const values = columns.map((column) => `${valueSql(stored[column]!)} AS ${quoteIdentifier(column)}`);
  const targets = columns.map(quoteIdentifier);
  if (layout?.shapeId !== undefined) {
    values.push(`${Math.trunc(layout.shapeId)} AS ${quoteIdentifier(SHAPE_COLUMN)}`);
    targets.push(quoteIdentifier(SHAPE_COLUMN));
  }
  for (const [name, sql] of extra) {
    values.push(`${sql} AS ${quoteIdentifier(name)}`);
    targets.push(quoteIdentifier(name));
  }
  const sql =
    `INSERT INTO ${quoteIdentifier(target)} (${targets.join(', ')})\nSELECT ${values.join(',\n  ')}\n` +
    `FROM (SELECT ${converted.join(',\n  ')}\n  FROM ${source})`;
  return { sql, columns };
}
