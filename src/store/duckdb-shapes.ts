/**
 * Derived columns: what a bulk read need not store. A format's bulk mapping (BulkPlan.mapping) says, declaratively,
 * that some ASIM columns are constants (EventProduct 'Zeek'), copies of another column (Src, IpAddr = SrcIpAddr;
 * EventStartTime = TimeGenerated) or a lookup that another stored lookup of the same cell determines (EventResult
 * from EventOriginalResultDetails, both from Zeek's conn_state). Writing those on every row cost about half of a
 * bulk ingest's time and a third of the store; instead the rows carry a small `_shape` id, and the view
 * ASimNetworkSessionLogs computes the derived columns of each shape from the columns stored beside them.
 *
 * A shape is the set of derivations of one mapping (the same for every file with the same header), kept in the
 * table smbwatch_shapes. Rows without a shape (the line reader's) store every column they set, as before; the view
 * shows every row with the same values either way, which the bulk-vs-line differential tests hold.
 */
import { ASIM_COLUMN_TYPES, type AsimType } from '../asim/schema.js';
import type { BulkValue } from '../sources/types.js';
import { quoteIdentifier, quoteString } from './sql.js';

export const SHAPES_TABLE = 'smbwatch_shapes';
/** The column of smbwatch_sessions holding a row's shape id (NULL: every column it set is stored). */
export const SHAPE_COLUMN = '_shape';

export type Derivation =
  /** The same value on every row. */
  | { readonly kind: 'const'; readonly value: string | number }
  /** Equal to another column of the row. */
  | { readonly kind: 'copy'; readonly of: string }
  /** A function of another (string) column of the row, '' for any other value. */
  | { readonly kind: 'lookup'; readonly of: string; readonly table: ReadonlyArray<readonly [string, string]> };

export type Derivations = Readonly<Record<string, Derivation>>;

export interface Shape {
  readonly id: number;
  readonly derivations: Derivations;
}

export const SHAPES_DDL = `CREATE TABLE IF NOT EXISTS ${SHAPES_TABLE} (
  id INTEGER PRIMARY KEY,
  derivations VARCHAR NOT NULL UNIQUE
)`;

/** A mapping split into the values a bulk read stores and those the view derives (or leaves to the defaults). */
export interface SplitMapping {
  readonly stored: Readonly<Record<string, BulkValue>>;
  readonly derived: Derivations;
}

const typeOf = (column: string): AsimType | undefined => ASIM_COLUMN_TYPES.get(column);

function valueKey(value: BulkValue): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? [...v] : v));
}

/** A lookup's table when every key gives a different, non-empty value: its result then tells the key. */
function injective(value: Extract<BulkValue, { op: 'lookup' }>): boolean {
  const results = [...value.table.values()];
  return results.every((result) => result !== '') && new Set(results).size === results.length;
}

/**
 * Which columns of a mapping must be stored: a constant is derived (or, when it is what an absent column shows —
 * '' for a string, null otherwise — simply left out); a value equal to an earlier stored column's is a copy of it; a
 * lookup of a cell that an injective stored lookup of the same cell determines is a lookup over that one.
 */
export function splitMapping(mapping: Readonly<Record<string, BulkValue>>): SplitMapping {
  const stored: Record<string, BulkValue> = {};
  const derived: Record<string, Derivation> = {};
  const storedByKey = new Map<string, string>();
  const carriers = new Map<string, { column: string; value: Extract<BulkValue, { op: 'lookup' }> }>();
  for (const [column, value] of Object.entries(mapping)) {
    if (value.op !== 'lookup' || !injective(value) || carriers.has(value.field)) continue;
    carriers.set(value.field, { column, value });
  }
  for (const [column, value] of Object.entries(mapping)) {
    const type = typeOf(column);
    if (value.op === 'const') {
      if (value.value === null || (value.value === '' && type === 'string')) continue;
      if (type === 'string' || type === 'int' || type === 'long' || type === 'real') {
        derived[column] = { kind: 'const', value: value.value };
        continue;
      }
    }
    const key = valueKey(value);
    const same = storedByKey.get(key);
    if (same !== undefined && typeOf(same) === type) {
      derived[column] = { kind: 'copy', of: same };
      continue;
    }
    const carrier = value.op === 'lookup' ? carriers.get(value.field) : undefined;
    if (value.op === 'lookup' && carrier && carrier.column !== column) {
      const table = [...carrier.value.table].map(([cell, shown]) => [shown, value.table.get(cell) ?? ''] as const);
      derived[column] = { kind: 'lookup', of: carrier.column, table };
      continue;
    }
    stored[column] = value;
    storedByKey.set(key, column);
  }
  // A derivation reads a stored column; a carrier lookup that was itself a copy would not be stored.
  for (const [column, derivation] of Object.entries(derived)) {
    if (derivation.kind !== 'const' && !(derivation.of in stored)) throw new Error(`derived column ${column} reads ${derivation.of}, which is not stored`);
  }
  return { stored, derived };
}

/** The derivations as stable text (the shape's identity in smbwatch_shapes). */
export function derivationsKey(derived: Derivations): string {
  return JSON.stringify(Object.keys(derived).sort().map((column) => [column, derived[column]]));
}

export function parseDerivations(text: string): Derivations {
  return Object.fromEntries(JSON.parse(text) as Array<[string, Derivation]>);
}

/** A derivation as SQL over the row's stored columns, of the column's schema type. */
function derivationSql(derivation: Derivation, sqlType: string): string {
  switch (derivation.kind) {
    case 'const':
      return `CAST(${typeof derivation.value === 'number' ? String(derivation.value) : quoteString(derivation.value)} AS ${sqlType})`;
    case 'copy':
      return quoteIdentifier(derivation.of);
    case 'lookup': {
      const cases = derivation.table.map(([shown, result]) => `WHEN ${quoteString(shown)} THEN ${quoteString(result)}`).join(' ');
      return `CASE ${quoteIdentifier(derivation.of)} ${cases} ELSE '' END`;
    }
  }
}

/** The view's expression of a column: its derivation in the shapes that derive it, else `otherwise`. */
export function derivedColumnSql(column: string, sqlType: string, shapes: readonly Shape[], otherwise: string): string {
  const cases = shapes
    .filter((shape) => column in shape.derivations)
    .map((shape) => `WHEN ${shape.id} THEN ${derivationSql(shape.derivations[column]!, sqlType)}`);
  if (cases.length === 0) return otherwise;
  return `CASE ${quoteIdentifier(SHAPE_COLUMN)} ${cases.join(' ')} ELSE ${otherwise} END`;
}
