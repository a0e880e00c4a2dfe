/** DuckDB's differences from the standard-SQL base dialect. */
import { DUCKDB_ARRAYS } from '../series/array-sql.js';
import type { ScalarType } from '../types.js';
import { baseDialect } from './base.js';
import type { Dialect } from './dialect.js';
import type { Arg, SqlContext } from './template.js';

const TYPES: Readonly<Record<ScalarType, string>> = {
  bool: 'BOOLEAN', int: 'INTEGER', long: 'BIGINT', real: 'DOUBLE', decimal: 'DOUBLE', string: 'VARCHAR',
  datetime: 'TIMESTAMP', timespan: 'BIGINT', dynamic: 'JSON', guid: 'VARCHAR',
};

const UNIT_FUNCTIONS: Readonly<Record<string, string>> = {
  year: 'to_years', quarter: 'to_months', month: 'to_months', week: 'to_weeks', day: 'to_days', hour: 'to_hours',
  minute: 'to_minutes', second: 'to_seconds', millisecond: 'to_milliseconds', microsecond: 'to_microseconds',
};

/**
 * DuckDB string literals are standard SQL: only `'` is special (doubled). Control characters other than tab and
 * newline are spliced in with chr() so the literal stays printable and unambiguous.
 */
function stringLiteral(value: string): string {
  const parts: string[] = [];
  let plain = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 && ch !== '\n' && ch !== '\t') {
      parts.push(`'${plain.replace(/'/g, "''")}'`, `chr(${code})`);
      plain = '';
    } else {
      plain += ch;
    }
  }
  parts.push(`'${plain.replace(/'/g, "''")}'`);
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' || ')})`;
}

/** FILTER (WHERE …) of make_set/make_list: non-null values, where the predicate holds. */
function kept(x: Arg, predicate: Arg | undefined, c: SqlContext): string {
  return `FILTER (WHERE ${x.sql} IS NOT NULL${predicate ? ` AND ${c.sql(predicate.e, true)}` : ''})`;
}

const limited = (list: string, limit: Arg | undefined): string => (limit ? `list_slice(${list}, 1, ${limit.sql})` : list);

/** make_set(_if): sorted distinct values; a dynamic array's elements are added one by one (make_set flattens arrays). */
function makeSet(x: Arg | undefined, predicate: Arg | undefined, limit: Arg | undefined, c: SqlContext): string {
  if (!x) return c.unsupported('make_set without a value');
  if (x.e.type === 'dynamic') {
    const elements = `CASE WHEN json_type(${x.sql}) = 'ARRAY' THEN CAST(json_extract(${x.sql}, '$[*]') AS JSON[]) ELSE [${x.sql}] END`;
    return `coalesce(CAST(to_json(${limited(`list_sort(list_distinct(flatten(list(${elements}) ${kept(x, predicate, c)})))`, limit)}) AS JSON), CAST('[]' AS JSON))`;
  }
  return `coalesce(CAST(to_json(${limited(`list_sort(list(DISTINCT ${x.sql}) ${kept(x, predicate, c)})`, limit)}) AS JSON), CAST('[]' AS JSON))`;
}

/** make_list(_if): the values in input order. */
function makeList(x: Arg | undefined, predicate: Arg | undefined, limit: Arg | undefined, c: SqlContext): string {
  if (!x) return c.unsupported('make_list without a value');
  return `coalesce(CAST(to_json(${limited(`list(${x.sql}) ${kept(x, predicate, c)}`, limit)}) AS JSON), CAST('[]' AS JSON))`;
}

export const duckdb: Dialect = {
  ...baseDialect,
  name: 'duckdb',
  label: 'DuckDB',
  seriesArrays: DUCKDB_ARRAYS,
  // DuckDB has only left semi/anti joins.
  capabilities: { ...baseDialect.capabilities, rightSemiJoin: false },
  overrides: {
    scalars: {},
    aggregates: {
      make_set: (a, c) => makeSet(a[0], undefined, a[1], c),
      make_set_if: (a, c) => makeSet(a[0], a[1], a[2], c),
      make_list: (a, c) => makeList(a[0], undefined, a[1], c),
      make_list_if: (a, c) => makeList(a[0], a[1], a[2], c),
      stdev: ([x]) => `CASE WHEN count(${x?.sql}) > 1 THEN stddev_samp(${x?.sql}) ELSE 0 END`,
      variance: ([x]) => `CASE WHEN count(${x?.sql}) > 1 THEN var_samp(${x?.sql}) ELSE 0 END`,
      percentile: ([x, p]) =>
        `list_sort(list(${x?.sql}) FILTER (WHERE ${x?.sql} IS NOT NULL))[greatest(1, CAST(ceil(${p?.sql} / 100.0 * count(${x?.sql})) AS BIGINT))]`,
      // A struct is never null, so only rows whose `by` is null are skipped (Kusto), not rows whose value is.
      arg_max: ([x, by]) => `(arg_max({'v': ${x?.sql}}, ${by?.sql})).v`,
      arg_min: ([x, by]) => `(arg_min({'v': ${x?.sql}}, ${by?.sql})).v`,
    },
  },

  ident: (name) => `"${name.replace(/"/g, '""')}"`,
  // Evaluated once however often it is read (DuckDB may otherwise inline a CTE at each reference).
  commonTableExpression: (name, body) => `${name} AS MATERIALIZED (${body})`,
  string: stringLiteral,
  sqlType: (t) => TYPES[t],
  typedNull: (t) => `CAST(NULL AS ${TYPES[t]})`,
  number: (v, t) => `CAST(${String(v)} AS ${TYPES[t]})`,
  nan: () => `CAST('NaN' AS DOUBLE)`,
  infinity: (negative) => `CAST('${negative ? '-' : ''}Infinity' AS DOUBLE)`,
  datetime: (micros) => `make_timestamp(CAST(${String(micros)} AS BIGINT))`,
  json: (text) => `CAST(${stringLiteral(text)} AS JSON)`,

  cast: (sql, t) => `CAST(${sql} AS ${TYPES[t]})`,
  tryCast: (sql, t) => `TRY_CAST(${sql} AS ${TYPES[t]})`,
  length: (s) => `length(${s})`,
  substring: (s, start, len) => (len === undefined ? `substring(${s}, ${start})` : `substring(${s}, ${start}, ${len})`),
  regexMatch: (s, p) => `regexp_matches(${s}, ${p})`,
  regexExtract: (s, p, g) => `regexp_extract(${s}, ${p}, ${g})`,
  regexReplaceAll: (s, p, r) => `regexp_replace(${s}, ${p}, ${r}, 'g')`,
  regexEscape: (s) => `regexp_escape(${s})`,
  replaceAll: (s, a, b) => `replace(${s}, ${a}, ${b})`,
  containsCs: (s, n) => `contains(${s}, ${n})`,
  containsCi: (s, n) => `contains(lower(${s}), lower(${n}))`,
  startsWith: (s, p) => `starts_with(${s}, ${p})`,
  endsWith: (s, p) => `ends_with(${s}, ${p})`,
  // DuckDB's // truncates toward zero and yields NULL for a zero divisor (checked in test/kql/dialects.test.ts).
  intDiv: (a, b) => `(CAST(${a} AS BIGINT) // CAST(${b} AS BIGINT))`,
  datetimeToMicros: (s) => `epoch_us(${s})`,
  microsToDatetime: (s) => `make_timestamp(CAST(${s} AS BIGINT))`,
  addUnits: (unit, n, dt) => {
    const fn = UNIT_FUNCTIONS[unit];
    if (!fn) throw new Error(`unit ${unit}`);
    const amount = unit === 'quarter' ? `(${n}) * 3` : n;
    return `(${dt} + ${fn}(CAST(${amount} AS ${unit === 'second' ? 'DOUBLE' : 'BIGINT'})))`;
  },
  diffUnits: (unit, a, b) => `date_diff('${unit}', ${b}, ${a})`,
  splitToJson: (s, d) => `CAST(to_json(string_split(${s}, ${d})) AS JSON)`,
  jsonKind: (s) =>
    `CASE json_type(${s}) WHEN 'BIGINT' THEN 'integer' WHEN 'UBIGINT' THEN 'integer' WHEN 'DOUBLE' THEN 'real' ` +
    `WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'bool' WHEN NULL THEN NULL ELSE 'other' END`,
  dynamicText: (s) => `CAST(${s} AS VARCHAR)`,
  jsonArrayLength: (s) => `CASE WHEN json_type(${s}) = 'ARRAY' THEN CAST(json_array_length(${s}) AS BIGINT) END`,
  jsonGet: (s, key) =>
    typeof key === 'number'
      ? `json_extract(${s}, '$[${key < 0 ? `#${key}` : key}]')`
      : `json_extract(${s}, ${stringLiteral(`$."${key.replace(/["\\]/g, (c) => `\\${c}`)}"`)})`,
  jsonElementAt: (s, i) =>
    `json_extract(${s}, CASE WHEN ${i} < 0 THEN '$[#' || CAST(${i} AS VARCHAR) || ']' ELSE '$[' || CAST(${i} AS VARCHAR) || ']' END)`,
  jsonMemberAt: (s, k) =>
    `CASE WHEN json_type(${s}) = 'OBJECT' THEN json_extract(${s}, '$."' || replace(replace(${k}, '\\', '\\\\'), '"', '\\"') || '"') END`,
  jsonToString: (s) =>
    `coalesce(CASE WHEN json_type(${s}) = 'VARCHAR' THEN json_extract_string(${s}, '$') ELSE CAST(${s} AS VARCHAR) END, '')`,
  boolToString: (s) => `coalesce(CASE WHEN ${s} THEN 'true' ELSE 'false' END, '')`,
  integerToString: (s) => `coalesce(CAST(${s} AS VARCHAR), '')`,
  realText: (s) => `CAST(CAST(${s} AS DOUBLE) AS VARCHAR)`,
  isNan: (s) => `isnan(${s})`,
  datetimeSecondsText: (s) => `strftime(${s}, '%Y-%m-%dT%H:%M:%S')`,
  // lpad truncates a longer text: pad only what is shorter.
  zeroPad: (s, width) => `list_transform([CAST(${s} AS VARCHAR)], lambda __z: CASE WHEN length(__z) < ${width} THEN lpad(__z, ${width}, '0') ELSE __z END)[1]`,
  repeat: (s, n) => `repeat(${s}, CAST(${n} AS BIGINT))`,
  bind: (value, name, body) => `list_transform([${value}], lambda ${name}: ${body})[1]`,
  shiftRight: (s, bits) => `(CAST(${s} AS BIGINT) >> CAST(${bits} AS BIGINT))`,

  jsonArrayElements: (j) => `CASE WHEN json_type(${j}) = 'ARRAY' THEN CAST(json_extract(${j}, '$[*]') AS VARCHAR[]) ELSE CAST([] AS VARCHAR[]) END`,
  jsonArrayFrom: (e) => `CAST('[' || array_to_string(${e}, ',') || ']' AS JSON)`,
  jsonArrayNumbers: (j) =>
    `CASE WHEN json_type(${j}) = 'ARRAY' THEN list_transform(CAST(json_extract(${j}, '$[*]') AS JSON[]), lambda __n: ` +
    `CASE WHEN json_type(__n) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(__n AS DOUBLE) END) ELSE CAST([] AS DOUBLE[]) END`,
  arrayToJson: (a) => `CAST(to_json(${a}) AS JSON)`,
  numberText: (s) => `CAST(${s} AS VARCHAR)`,
  // DuckDB's text of a double keeps the `.0` of a whole value.
  realJson: (s) => `CASE WHEN isfinite(CAST(${s} AS DOUBLE)) THEN CAST(CAST(${s} AS DOUBLE) AS VARCHAR) END`,
  jsonQuote: (s) => `CAST(to_json(CAST(${s} AS VARCHAR)) AS VARCHAR)`,
  jsonValid: (s) => `coalesce(json_valid(${s}), false)`,
  jsonShape: (j) => `CASE json_type(${j}) WHEN 'ARRAY' THEN 'array' WHEN 'OBJECT' THEN 'object' WHEN NULL THEN NULL ELSE 'scalar' END`,
  jsonObjectLength: (j) => `CAST(len(json_keys(${j})) AS BIGINT)`,
  jsonKeyAt: (j, i) => `json_keys(${j})[(${i}) + 1]`,
  arrayRange: (n) => `range(CAST(${n} AS BIGINT))`,
  arrayLength: (a) => `CAST(len(${a}) AS BIGINT)`,
  arrayAt: (a, i) => `(${a})[(${i}) + 1]`,
  arrayIndexOf: (a, v) => `(coalesce(list_position(${a}, ${v}), 0) - 1)`,
  arrayConcat: (arrays) => arrays.reduce((acc, a) => `list_concat(${acc}, ${a})`),
  arrayMap: (a, v, body) => `list_transform(${a}, lambda ${v}: ${body})`,
  arrayFilter: (a, v, body) => `list_filter(${a}, lambda ${v}: ${body})`,
  arraySlice: (a, start, length) => `list_slice(${a}, (${start}) + 1, (${start}) + (${length}))`,
  arrayAggregate: (fn, a) => `list_aggregate(${a}, '${fn}')`,
  isFinite: (s) => `isfinite(${s})`,
  collect: (s) => `list(${s})`,
  tuple: (values) => `{${values.map((v, i) => `'f${i}': ${v}`).join(', ')}}`,
  tupleGet: (t, i) => `struct_extract(${t}, 'f${i}')`,
  unnestRange: (n) => `unnest(range(CAST(${n} AS BIGINT)))`,

  oneRowPerKey: (rel, keys, all) =>
    `SELECT * FROM (${rel}) AS __u QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${all.join(', ')}) = 1`,
  joinKeyword: (kind) =>
    ({
      inner: 'INNER JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL OUTER JOIN',
      leftsemi: 'SEMI JOIN', leftanti: 'ANTI JOIN', rightsemi: 'SEMI JOIN', rightanti: 'ANTI JOIN',
    })[kind],
};
