/**
 * What differs between SQL engines, as data: one `Dialect` object per engine (or engine version). The generator
 * (generate.ts) and the function registry (src/kql/functions/) are written once against this interface — a dialect
 * is a table of differences, not a fork:
 *
 *   - `capabilities`: what the engine can do at all (right semi joins, window functions, …). Functions and
 *     relational forms that need a capability say so; the generator refuses them (SMB001) or picks another form
 *     where the engine lacks it. The generator never asks which engine it writes for — only what it can do.
 *   - primitives: small spellings (lower, regex match, integer division, JSON access, …);
 *   - `overrides`: whole-function templates that replace the registry's generic one for this engine.
 *
 * `baseDialect` (base.ts) holds the standard-SQL defaults; an engine is `extendDialect(parent, differences)`, and a
 * version of an engine is an extension of that engine (e.g. an older server with fewer capabilities).
 */
import type { ScalarType } from '../types.js';
import type { ArraySql } from '../series/array-sql.js';
import type { SqlTemplate } from './template.js';

export type DialectName = 'duckdb' | 'clickhouse';

/** What an engine supports. Each flag names what depends on it. */
export interface Capabilities {
  /** RIGHT SEMI / RIGHT ANTI JOIN. Without: the join is written as a left semi/anti join with the sides swapped. */
  readonly rightSemiJoin: boolean;
  /**
   * SEMI / ANTI JOIN at all. Without (ClickHouse 18.16): a left join to the right side's distinct keys with a marker
   * column, kept where the marker is (semi) or is not (anti) set.
   */
  readonly semiJoins: boolean;
  /**
   * The columns a JOIN compares can be selected as they are. Without (ClickHouse 18.16, which returns the other
   * side's key or unset memory for them): both sides carry copies of their keys, and ON compares the copies.
   */
  readonly joinKeysReadable: boolean;
  /**
   * UNION ALL returns its branches in order. Without (ClickHouse runs them in parallel): a datatable's rows
   * carry their position and are sorted by it.
   */
  readonly unionAllKeepsOrder: boolean;
  /** make-series can be written (ClickHouse 18.16 cannot resolve its per-group lambdas). */
  readonly makeSeries: boolean;
  /** Window functions (`… OVER (…)`): `serialize`, `row_number()`, `next()`, `prev()` need them. */
  readonly windowFunctions: boolean;
  /** `WITH name AS (…)` common table expressions. */
  readonly commonTableExpressions: boolean;
  /** Datetimes finer than a second (ClickHouse DateTime64). Without, sub-second values cannot be held. */
  readonly subsecondDatetimes: boolean;
  /**
   * Filters, and a summarize, directly over a table are written in the table's own SELECT (`SELECT keys, aggregates
   * FROM t WHERE … GROUP BY …`) rather than as a subquery per node. ClickHouse runs a Distributed table's SELECT level
   * on the shards: flat, the filtering and the partial aggregation happen there, and only groups travel.
   */
  readonly flatTableReads: boolean;
  /**
   * A regex whose pattern is computed per row (`has` with a column on its right). Without (ClickHouse 18.16, whose
   * match() takes constant patterns only) such a term match is refused.
   */
  readonly computedRegexPatterns: boolean;
}

/**
 * Where a table's rows come from, when that is not simply the table of that name: a relation to read and a
 * condition its rows must meet (a server store's records: the Distributed table, committed ingests only).
 */
export interface TableSource {
  readonly from: string;
  readonly where?: string;
}

export type Capability = keyof Capabilities;

/** Whole-function spellings that replace the registry's template, by Kusto function (or IR operator) name. */
export interface FunctionOverrides {
  readonly scalars: Readonly<Record<string, SqlTemplate>>;
  readonly aggregates: Readonly<Record<string, SqlTemplate>>;
}

export interface Dialect {
  /** Which engine family runs the SQL (the engine registry's key). The generator never reads it. */
  readonly name: DialectName;
  /** For messages: "DuckDB", "ClickHouse 18.16". */
  readonly label: string;
  readonly capabilities: Capabilities;
  readonly overrides: FunctionOverrides;

  /** A quoted identifier. */
  ident(name: string): string;
  /** One definition of a WITH clause: `name AS (body)`, or the engine's form that evaluates the body once. */
  commonTableExpression(name: string, body: string): string;
  /** A string literal: the only way user text reaches SQL. */
  string(value: string): string;
  /** The SQL type holding a Kusto type (nullable where the engine distinguishes). */
  sqlType(type: ScalarType): string;
  typedNull(type: ScalarType): string;
  /** A typed literal of a finite number. */
  number(value: number, type: 'int' | 'long' | 'real'): string;
  nan(): string;
  infinity(negative: boolean): string;
  /** A datetime literal from microseconds since the epoch. */
  datetime(micros: number): string;
  /** A dynamic (JSON text) literal. */
  json(text: string): string;
  /** Row-level boolean literal. */
  bool(value: boolean): string;

  // Scalar primitives. Arguments are SQL fragments.
  cast(sql: string, type: ScalarType): string;
  /** Cast that yields NULL instead of failing. */
  tryCast(sql: string, type: ScalarType): string;
  lower(sql: string): string;
  upper(sql: string): string;
  length(sql: string): string;
  /** 1-based start; length optional. */
  substring(sql: string, start1: string, length?: string): string;
  /** RE2 search (unanchored). */
  regexMatch(sql: string, pattern: string): string;
  regexExtract(sql: string, pattern: string, group: string): string;
  regexReplaceAll(sql: string, pattern: string, replacement: string): string;
  /** Escapes a runtime string so it matches literally inside a regex. */
  regexEscape(sql: string): string;
  replaceAll(sql: string, from: string, to: string): string;
  containsCs(sql: string, needle: string): string;
  containsCi(sql: string, needle: string): string;
  startsWith(sql: string, prefix: string): string;
  endsWith(sql: string, suffix: string): string;
  /** Integer division truncating toward zero (Kusto/.NET); NULL when the divisor is 0. */
  intDiv(a: string, b: string): string;
  /** The datetime as microseconds since the epoch (BIGINT). */
  datetimeToMicros(sql: string): string;
  microsToDatetime(sql: string): string;
  /** datetime + n units (unit: year, quarter, month, week, day, hour, minute, second, millisecond, microsecond). */
  addUnits(unit: string, n: string, datetime: string): string;
  /** Number of `unit` boundaries between b and a (a − b), as Kusto's datetime_diff. */
  diffUnits(unit: string, a: string, b: string): string;
  /** A SQL array of strings → JSON text. */
  splitToJson(sql: string, delimiter: string): string;
  /** The kind of a JSON value: 'integer', 'real', 'string', 'bool', or 'other' (null, array, bag); NULL for NULL. */
  jsonKind(sql: string): string;
  /** A dynamic value as its JSON text (NULL stays NULL), for results. */
  dynamicText(sql: string): string;
  /** JSON text → its array length, NULL when not an array. */
  jsonArrayLength(sql: string): string;
  /** JSON text → the raw JSON of a member (`key` is a string) or element (0-based index; negative from the end). */
  jsonGet(sql: string, key: string | number): string;
  /** Like jsonGet with a computed 0-based element index (negative from the end); NULL unless `sql` is an array. */
  jsonElementAt(sql: string, index: string): string;
  /** Like jsonGet with a computed member name; NULL unless `sql` is a property bag. */
  jsonMemberAt(sql: string, key: string): string;
  /** JSON text holding a string → that string; any other JSON → its text; NULL → ''. */
  jsonToString(sql: string): string;
  /** A boolean as Kusto prints it. */
  boolToString(sql: string): string;
  integerToString(sql: string): string;
  /** The engine's shortest round-trip text of a finite double (digits as in 0.1, 1e+20, 1.5e-07; notation varies). */
  realText(sql: string): string;
  isNan(sql: string): string;
  /** `yyyy-MM-ddTHH:mm:ss` of a datetime (UTC). */
  datetimeSecondsText(sql: string): string;
  /** Text of a non-negative integer, left-padded with zeros to at least `width` characters. */
  zeroPad(sql: string, width: number): string;
  repeat(sql: string, times: string): string;
  /**
   * Evaluates `value` once and names it `name` inside `body` (a one-element lambda map): lets a template use a
   * computed value several times without repeating its SQL. `name` must not be a column name.
   */
  bind(value: string, name: string, body: string): string;
  shiftRight(sql: string, bits: string): string;
  /** −1, 0 or 1 (NULL for NULL). */
  sign(sql: string): string;
  /** The smallest of several values. */
  least(values: readonly string[]): string;

  // Arrays. Kusto's dynamic arrays are JSON text; templates take them apart into SQL arrays and put them together
  // again with these. Indexes are 0-based, as in Kusto.
  /** A JSON array → SQL array of its elements' JSON texts; [] when the value is not an array (test with jsonShape). */
  jsonArrayElements(json: string): string;
  /** A SQL array of JSON texts → the JSON array holding them. */
  jsonArrayFrom(elements: string): string;
  /** A JSON array → SQL array of doubles (elements that are not numbers are NULL); [] when not an array. */
  jsonArrayNumbers(json: string): string;
  /** A SQL array of numbers, strings or bools → JSON array text (NULL elements → null). */
  arrayToJson(array: string): string;
  /** The text of a number (NULL for NULL): an integer's digits, a double's shortest round-trip text. */
  numberText(sql: string): string;
  /**
   * A double as JSON writes it in a Kusto dynamic value: a whole value keeps its `.0` (`4.0`, as the docs print
   * make-series averages); NULL for NULL and for NaN and ±inf, which JSON cannot hold.
   */
  realJson(sql: string): string;
  /** A string → its JSON text (quoted, escaped). */
  jsonQuote(sql: string): string;
  /** Whether a string is valid JSON text. */
  jsonValid(sql: string): string;
  /** 'array', 'object' or 'scalar' for a JSON value; NULL for NULL. */
  jsonShape(json: string): string;
  /** The number of members of a JSON object. */
  jsonObjectLength(json: string): string;
  /** The name of the i-th member (0-based) of a JSON object. */
  jsonKeyAt(json: string, index: string): string;
  /** [0, 1, …, n − 1]. */
  arrayRange(n: string): string;
  arrayLength(array: string): string;
  /** The element at 0-based `index`; NULL outside the array. */
  arrayAt(array: string, index: string): string;
  /** The 0-based index of the first element equal to `value`; −1 when none (or the array is NULL). */
  arrayIndexOf(array: string, value: string): string;
  /** The arrays one after the other. */
  arrayConcat(arrays: readonly string[]): string;
  /** `[f(v) for v in array]`; `v` names the element inside `body` and must not be a column name. */
  arrayMap(array: string, v: string, body: string): string;
  /** `[v for v in array if body]`. */
  arrayFilter(array: string, v: string, body: string): string;
  /** `length` elements from 0-based `start`. */
  arraySlice(array: string, start: string, length: string): string;
  /** min, max, sum, avg, var_samp or stddev_samp of an array's non-NULL elements (NULL when there are none). */
  arrayAggregate(fn: 'min' | 'max' | 'sum' | 'avg' | 'var_samp' | 'stddev_samp', array: string): string;
  /** A finite double (not NaN, not ±inf). */
  isFinite(sql: string): string;
  /** Aggregate: the group's values as a SQL array (NULL values kept). */
  collect(sql: string): string;
  /** A record of values, and its i-th field (0-based). */
  tuple(values: readonly string[]): string;
  tupleGet(tuple: string, index: number): string;
  /** In a SELECT list: one output row per value 0 … n − 1 (none when n is 0). */
  unnestRange(n: string): string;

  // Relational forms.
  /** Keeps one row per key from a relation (innerunique's left side), picking the smallest row deterministically. */
  oneRowPerKey(relationSql: string, keys: readonly string[], allColumns: readonly string[]): string;
  /** The join clause for a kind; semi/anti joins differ most between engines. */
  joinKeyword(kind: 'inner' | 'left' | 'right' | 'full' | 'leftsemi' | 'leftanti' | 'rightsemi' | 'rightanti'): string;
  /**
   * `|value| IN magnitudes` for an integer value and non-negative integer magnitudes (NULL for a NULL value): the
   * engines differ in which spelling is exact (DuckDB's abs() overflows on the smallest integer) and fast.
   */
  integerMagnitudeIn(sql: string, magnitudes: readonly number[]): string;
  /** A null-safe equality for join keys (Kusto joins match null keys to null keys, §15 Q2). */
  nullSafeEquals(a: string, b: string): string;

  /**
   * The array operations the series analysis functions are written with (series/array-sql.ts): position-aware
   * lambdas, exact percentiles. An engine without them has none, and those functions are refused there.
   */
  readonly seriesArrays?: ArraySql;
  /** The source of a table the query reads; absent (or undefined for a table): the table itself. */
  readonly tableSource?: (table: string) => TableSource | undefined;
}

/** What an engine (or version) states beyond its parent: any primitive, plus partial capabilities and overrides. */
export type DialectDifferences = Partial<Omit<Dialect, 'capabilities' | 'overrides'>> & {
  readonly capabilities?: Partial<Capabilities>;
  readonly overrides?: Partial<FunctionOverrides>;
};

/** A dialect made of its parent and its differences (capabilities and overrides merge by key). */
export function extendDialect(parent: Dialect, differences: DialectDifferences): Dialect {
  return {
    ...parent,
    ...differences,
    capabilities: { ...parent.capabilities, ...differences.capabilities },
    overrides: {
      scalars: { ...parent.overrides.scalars, ...differences.overrides?.scalars },
      aggregates: { ...parent.overrides.aggregates, ...differences.overrides?.aggregates },
    },
  };
}

/**
 * Thrown by a primitive the engine cannot express at all (an old server without JSON functions): the generator
 * turns it into SMB001 at the construct that needed it, naming the engine.
 */
export class PrimitiveUnavailableError extends Error {
  constructor(readonly what: string) {
    super(what);
    this.name = 'PrimitiveUnavailableError';
  }
}

/** Escapes `value` for use inside an RE2 pattern (both engines use RE2). */
export function regexQuote(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, (c) => `\\${c}`);
}
