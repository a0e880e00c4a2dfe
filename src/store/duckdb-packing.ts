/**
 * How records travel from JS into DuckDB's ASIM table.
 *
 * Each batch of records becomes one execution of a prepared INSERT whose parameters are, per varying column,
 * one VARCHAR holding all the batch's values; the INSERT unpacks them with `unnest`, casts them to the schema
 * types, and writes columns that held one value throughout the input (vendor, product…) as literals. Why: the
 * ASIM table has ~190 columns, DuckDB's appender has no column subset, and from JS every cell costs a
 * native call, while a packed column costs one.
 *
 * Packing: values joined by U+001F (unit separator), the empty string standing for null in non-string
 * columns. A column whose chunk holds a U+001F anywhere is packed as a JSON array instead, marked by a leading
 * U+001E, so no value is ever mangled.
 */
import type { AsimRecord, AsimValue } from '../asim/record.js';
import { ASIM_COLUMN_TYPES, ASIM_COLUMNS, type AsimType } from '../asim/schema.js';
import { quoteIdentifier, quoteString } from './sql.js';

const UNIT_SEPARATOR = '\u001f';
const JSON_MARKER = '\u001e';

export interface ColumnLayout {
  /** Columns staged per chunk, in schema order. */
  readonly varying: readonly string[];
  /** Columns with one value throughout the input so far, written as literals. */
  readonly constants: ReadonlyMap<string, AsimValue>;
}

export const EMPTY_LAYOUT: ColumnLayout = { varying: [], constants: new Map() };

const CAST_TYPES: Record<AsimType, string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  long: 'BIGINT',
  real: 'DOUBLE',
  bool: 'BOOLEAN',
  datetime: 'BIGINT',
  dynamic: 'JSON',
};

function typeOf(name: string): AsimType {
  const type = ASIM_COLUMN_TYPES.get(name);
  if (!type) throw new Error(`not an ASIM column: ${name}`);
  return type;
}

/**
 * The layout that also fits these records. A column is constant while every record staged under the layout
 * carries the same value; once one differs (or lacks it) the column is varying for the rest of the input.
 * Returns the same object when nothing changes; the caller moves what is staged before switching layouts, so
 * a layout only ever describes the rows staged under it.
 */
export function widenLayout(layout: ColumnLayout, rows: readonly AsimRecord[]): ColumnLayout {
  const varying = new Set(layout.varying);
  const constants = new Map(layout.constants);
  let changed = false;
  const makeVarying = (name: string): void => {
    constants.delete(name);
    varying.add(name);
    changed = true;
  };
  for (const [name, value] of layout.constants) {
    if (rows.some((row) => row[name] !== value)) makeVarying(name);
  }
  for (const name of columnsSetBy(rows)) {
    if (varying.has(name) || constants.has(name)) continue;
    const value = rows[0]![name];
    if (value !== undefined && value !== null && value !== '' && rows.every((row) => row[name] === value)) {
      constants.set(name, value);
      changed = true;
    } else {
      makeVarying(name);
    }
  }
  if (!changed) return layout;
  return { varying: ASIM_COLUMNS.map((column) => column.name).filter((name) => varying.has(name)), constants };
}

/** Schema columns that at least one of these records sets to a value. */
function columnsSetBy(rows: readonly AsimRecord[]): Set<string> {
  const names = new Set<string>();
  for (const row of rows) {
    for (const name in row) {
      if (names.has(name)) continue;
      const value = row[name];
      if (value !== undefined && value !== null && value !== '' && ASIM_COLUMN_TYPES.has(name)) names.add(name);
    }
  }
  return names;
}

/**
 * One column of a batch, packed. Array.prototype.join writes null and undefined as "" and numbers and booleans
 * in the text DuckDB casts back exactly, so only text columns need a look at their values.
 */
export function packColumn(rows: readonly AsimRecord[], name: string): string {
  const type = typeOf(name);
  const values = new Array<AsimValue | undefined>(rows.length);
  let needsJson = false;
  const textual = type === 'string' || type === 'dynamic';
  for (let index = 0; index < rows.length; index++) {
    const value = rows[index]![name];
    if (textual && typeof value === 'string' && value.includes(UNIT_SEPARATOR)) needsJson = true;
    values[index] = value;
  }
  if (!needsJson) return values.join(UNIT_SEPARATOR);
  return JSON_MARKER + JSON.stringify(values.map((value) => (value === undefined || value === null ? '' : String(value))));
}

/** Parameter $n (one packed column) unpacked into one value per record. */
function unpackExpression(name: string, parameter: number): string {
  const packed = `$${parameter}::VARCHAR`;
  return (
    `unnest(CASE WHEN starts_with(${packed}, chr(30)) THEN from_json(substr(${packed}, 2), '["VARCHAR"]') ` +
    `ELSE string_split(${packed}, chr(31)) END) AS ${quoteIdentifier(name)}`
  );
}

function castExpression(name: string): string {
  const type = typeOf(name);
  const column = quoteIdentifier(name);
  if (type === 'string') return column;
  const value = `CAST(nullif(${column}, '') AS ${CAST_TYPES[type]})`;
  return type === 'datetime' ? `make_timestamp(${value})` : value;
}

function literal(name: string, value: AsimValue): string {
  const type = typeOf(name);
  if (value === null) return 'NULL';
  switch (type) {
    case 'string':
      return quoteString(String(value));
    case 'dynamic':
      return `${quoteString(String(value))}::JSON`;
    case 'datetime':
      return `make_timestamp(${Math.trunc(Number(value))})`;
    case 'bool':
      return value ? 'true' : 'false';
    default:
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${name}: not a number: ${String(value)}`);
      return `CAST(${String(value)} AS ${CAST_TYPES[type]})`;
  }
}

/**
 * The INSERT that unpacks one batch: parameter $i holds the packed values of the i-th varying column (or, when
 * every column is constant, $1 holds the number of records); `extra` columns (not schema columns: the input id)
 * get the SQL given. Columns not listed take the table's defaults.
 */
export function unpackInsertSql(target: string, layout: ColumnLayout, extra: ReadonlyArray<readonly [string, string]> = []): string {
  const constantNames = [...layout.constants.keys()];
  const columns = [...layout.varying, ...constantNames, ...extra.map(([name]) => name)].map(quoteIdentifier).join(', ');
  const values = [
    ...layout.varying.map(castExpression),
    ...constantNames.map((name) => literal(name, layout.constants.get(name)!)),
    ...extra.map(([, sql]) => sql),
  ];
  const source =
    layout.varying.length === 0
      ? 'range($1::BIGINT)'
      : `(SELECT ${layout.varying.map((name, index) => unpackExpression(name, index + 1)).join(', ')})`;
  return `INSERT INTO ${quoteIdentifier(target)} (${columns}) SELECT ${values.join(', ')} FROM ${source}`;
}
