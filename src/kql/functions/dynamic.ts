/**
 * Functions over `dynamic` values (JSON text in both engines), and how scalars are written into JSON: numbers and
 * bools as JSON, strings quoted, datetimes as Kusto serializes them inside dynamic values (`2017-01-01T00:00:00.0000000Z`,
 * always seven fraction digits: docs examples of make-series, range and pack_array), timespans as their text.
 */
import type { Dialect } from '../sql/dialect.js';
import type { ScalarType } from '../types.js';
import { arg, type Arg, type SqlContext } from '../sql/template.js';
import { toStringSql } from './conversions.js';
import { scalar, type ScalarFunction } from './types.js';

/** A datetime as Kusto writes it inside a dynamic value: ISO 8601 with seven fraction digits and `Z`. */
export function dynamicDatetimeText(x: string, d: Dialect): string {
  const micros = `((${d.datetimeToMicros(x)} % 1000000 + 1000000) % 1000000)`;
  return `${d.datetimeSecondsText(x)} || '.' || ${d.zeroPad(micros, 6)} || '0Z'`;
}

/** A SQL array of values of `type` as a JSON array; reals keep the `.0` of whole values (Dialect.realJson). */
export function typedArrayJson(array: string, type: ScalarType, d: Dialect): string {
  if (type !== 'real') return d.arrayToJson(array);
  return d.jsonArrayFrom(d.arrayMap(array, '__rj', `coalesce(${d.realJson('__rj')}, 'null')`));
}

/** JSON text of a scalar value (null → null). */
export function jsonScalar(a: Arg, c: SqlContext): string {
  const { d } = c;
  switch (a.e.type) {
    case 'int':
    case 'long':
      return `coalesce(${d.numberText(a.sql)}, 'null')`;
    case 'real':
      return `coalesce(${d.realJson(a.sql)}, 'null')`;
    case 'bool':
      return `CASE WHEN ${a.sql} THEN 'true' WHEN NOT ${a.sql} THEN 'false' ELSE 'null' END`;
    case 'string':
      return d.jsonQuote(a.sql);
    case 'dynamic':
      return `coalesce(${d.dynamicText(a.sql)}, 'null')`;
    case 'datetime':
      return `CASE WHEN ${a.sql} IS NULL THEN 'null' ELSE ${d.jsonQuote(dynamicDatetimeText(a.sql, d))} END`;
    default:
      return `CASE WHEN ${a.sql} IS NULL THEN 'null' ELSE ${d.jsonQuote(toStringSql(a, { ...c, type: 'string' }))} END`;
  }
}

/** `sql` where every argument is a JSON array, else null. */
export function whenArrays(args: readonly Arg[], d: Dialect, sql: string): string {
  return `CASE WHEN ${args.map((a) => `${d.jsonShape(a.sql)} = 'array'`).join(' AND ')} THEN ${sql} END`;
}

export const DYNAMIC_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({ name: 'array_length', sql: (a, c) => c.d.jsonArrayLength(arg(a, 0, c).sql) }),
  scalar({
    // parse_json(string): the JSON value when the text is valid JSON, else a dynamic string holding the text; a
    // dynamic argument is returned as it is (parse-json-function).
    name: 'parse_json',
    aliases: ['todynamic'],
    sql: (a, c) => {
      const x = arg(a, 0, c);
      if (x.e.type === 'dynamic') return x.sql;
      if (x.e.type !== 'string') return c.unsupported(`parse_json of a ${x.e.type} value`);
      return c.d.cast(`CASE WHEN ${c.d.jsonValid(x.sql)} THEN ${x.sql} ELSE ${c.d.jsonQuote(x.sql)} END`, 'dynamic');
    },
  }),
  scalar({
    name: 'pack_array',
    sql: (a, c) => c.d.cast(`'[' || ${a.length === 0 ? "''" : a.map((x) => jsonScalar(x, c)).join(" || ',' || ")} || ']'`, 'dynamic'),
  }),
];
