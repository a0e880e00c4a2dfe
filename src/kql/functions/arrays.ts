/**
 * Functions over dynamic arrays (JSON arrays in both engines): `array_slice`, `array_sum`, `array_index_of`,
 * `set_has_element`, `set_union`, `set_intersect`, `set_difference`, `pack_array`. Elements compare by value: a
 * string with a JSON string, a number with a JSON number, a bool with a JSON bool; sets keep each distinct element
 * once, in order of first appearance (as the docs' examples show), comparing elements by their JSON text.
 */
import type { Dialect } from '../sql/dialect.js';
import { arg, type Arg, type SqlContext } from '../sql/template.js';
import { todatetimeSql } from './conversions.js';
import { whenArrays } from './dynamic.js';
import { scalar, type ScalarFunction } from './types.js';

/** SQL testing whether the JSON element `e` (an element's JSON text) equals the scalar value `v`. */
function elementEquals(e: string, v: Arg, c: SqlContext): string {
  const { d } = c;
  const kind = d.jsonKind(e);
  switch (v.e.type) {
    case 'string':
      return `(${kind} = 'string' AND ${d.jsonToString(e)} = ${v.sql})`;
    case 'int':
    case 'long':
    case 'real':
      return `(${kind} IN ('integer', 'real') AND ${d.tryCast(d.jsonToString(e), 'real')} = ${d.cast(v.sql, 'real')})`;
    case 'bool':
      return `(${kind} = 'bool' AND (${d.jsonToString(e)} = 'true') = ${v.sql})`;
    case 'datetime':
      return `(${kind} = 'string' AND ${todatetimeSql({ sql: d.jsonToString(e), e: { k: 'col', name: '', type: 'string' } }, { ...c, type: 'datetime' })} = ${v.sql})`;
    case 'guid':
      return `(${kind} = 'string' AND lower(${d.jsonToString(e)}) = ${v.sql})`;
    default:
      return c.unsupported(`looking up a ${v.e.type} value in an array`);
  }
}

/** The JSON array's elements as a SQL array of JSON texts, or NULL when the value is not an array. */
const elements = (a: Arg, d: Dialect): string => d.jsonArrayElements(a.sql);

/**
 * array_index_of(array, value [, start [, length [, occurrence]]]): the 0-based index of the occurrence-th match
 * within [start, start + length); -1 when there is none; null for occurrence < 0 or length < -1. A negative start
 * counts from the end.
 */
function arrayIndexOfSql(a: readonly Arg[], c: SqlContext): string {
  const { d } = c;
  const array = arg(a, 0, c);
  const value = arg(a, 1, c);
  const items = elements(array, d);
  const start = a[2]?.sql ?? '0';
  const length = a[3]?.sql ?? '-1';
  const occurrence = a[4]?.sql ?? '1';
  return whenArrays([array], d, d.bind(items, '__ai', d.bind(`CASE WHEN ${start} < 0 THEN greatest(${d.arrayLength('__ai')} + ${start}, 0) ELSE ${start} END`, '__as',
    d.bind(d.arrayFilter(d.arrayRange(d.arrayLength('__ai')), '__aj',
      `__aj >= __as AND (${length} = -1 OR __aj < __as + ${length}) AND ${elementEquals(d.arrayAt('__ai', '__aj'), value, c)}`), '__ap',
    `CASE WHEN ${occurrence} < 0 OR ${length} < -1 THEN NULL WHEN ${occurrence} >= 1 AND ${occurrence} <= ${d.arrayLength('__ap')} THEN ${d.cast(d.arrayAt('__ap', `${occurrence} - 1`), 'long')} ELSE -1 END`))));
}

/** Distinct elements in order of first appearance. */
function distinctInOrder(items: string, d: Dialect, v: string): string {
  const firsts = d.arrayFilter(d.arrayRange(d.arrayLength(v)), `${v}i`, `${d.arrayIndexOf(v, d.arrayAt(v, `${v}i`))} = ${v}i`);
  return d.bind(items, v, d.arrayMap(firsts, `${v}j`, d.arrayAt(v, `${v}j`)));
}

export const ARRAY_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({
    name: 'array_slice',
    // Inclusive start and end; negative values count from the end; indexes outside the array are ignored.
    sql: (a, c) => {
      const { d } = c;
      const items = elements(arg(a, 0, c), d);
      const norm = (x: string): string => `CASE WHEN ${x} < 0 THEN ${d.arrayLength('__sl')} + ${x} ELSE ${x} END`;
      return whenArrays([arg(a, 0, c)], d, d.bind(items, '__sl', d.bind(`greatest(${norm(arg(a, 1, c).sql)}, 0)`, '__s0', d.bind(`least(${norm(arg(a, 2, c).sql)}, ${d.arrayLength('__sl')} - 1)`, '__s1',
        d.jsonArrayFrom(d.arraySlice('__sl', '__s0', `greatest(__s1 - __s0 + 1, 0)`))))));
    },
  }),
  scalar({
    name: 'array_sum',
    // A double; null when an element is not a number (docs); 0 for an empty array (a sum of nothing).
    sql: (a, c) => {
      const { d } = c;
      const items = elements(arg(a, 0, c), d);
      return whenArrays([arg(a, 0, c)], d, d.bind(items, '__su',
        `CASE WHEN ${d.arrayLength(d.arrayFilter('__su', '__sx', `${d.jsonKind('__sx')} NOT IN ('integer', 'real')`))} > 0 THEN NULL` +
        ` ELSE coalesce(${d.arrayAggregate('sum', d.arrayMap('__su', '__sx', d.tryCast(d.jsonToString('__sx'), 'real')))}, 0) END`));
    },
  }),
  scalar({ name: 'array_index_of', sql: arrayIndexOfSql }),
  scalar({ name: 'set_has_element', sql: (a, c) => `(${arrayIndexOfSql(a.slice(0, 2), c)} >= 0)` }),
  scalar({
    name: 'set_union',
    sql: (a, c) => whenArrays(a, c.d, c.d.jsonArrayFrom(distinctInOrder(c.d.arrayConcat(a.map((x) => elements(x, c.d))), c.d, '__u'))),
  }),
  scalar({
    name: 'set_intersect',
    sql: (a, c) => {
      const { d } = c;
      const [first, ...rest] = a.map((x) => elements(x, d));
      const inAll = rest.map((r) => `${d.arrayIndexOf(r, '__ix')} >= 0`).join(' AND ');
      return whenArrays(a, d, d.jsonArrayFrom(distinctInOrder(d.arrayFilter(first ?? '', '__ix', inAll || 'true'), d, '__i')));
    },
  }),
  scalar({
    name: 'set_difference',
    sql: (a, c) => {
      const { d } = c;
      const [first, ...rest] = a.map((x) => elements(x, d));
      const inNone = rest.map((r) => `${d.arrayIndexOf(r, '__dx')} < 0`).join(' AND ');
      return whenArrays(a, d, d.jsonArrayFrom(distinctInOrder(d.arrayFilter(first ?? '', '__dx', inNone || 'true'), d, '__d')));
    },
  }),
];
