/**
 * ClickHouse's differences from the standard-SQL base dialect. Queries assume the session settings in
 * CLICKHOUSE_SETTINGS (src/store/chdb.ts applies them): outer joins pad with NULL, aggregates over no rows give
 * NULL, 64-bit integers are JSON numbers.
 */
import { CLICKHOUSE_ARRAYS } from '../series/array-sql.js';
import type { ScalarType } from '../types.js';
import { baseDialect } from './base.js';
import type { Dialect } from './dialect.js';
import type { Arg, SqlContext } from './template.js';

const BASE_TYPES: Readonly<Record<ScalarType, string>> = {
  bool: 'Bool', int: 'Int32', long: 'Int64', real: 'Float64', decimal: 'Float64', string: 'String',
  datetime: "DateTime64(6, 'UTC')", timespan: 'Int64', dynamic: 'String', guid: 'String',
};

/** Only strings are never null in Kusto; a guid can be null. */
const sqlType = (t: ScalarType): string => (t === 'string' ? BASE_TYPES[t] : `Nullable(${BASE_TYPES[t]})`);

const UNIT_FUNCTIONS: Readonly<Record<string, string>> = {
  year: 'addYears', quarter: 'addQuarters', month: 'addMonths', week: 'addWeeks', day: 'addDays', hour: 'addHours',
  minute: 'addMinutes', second: 'addSeconds', millisecond: 'addMilliseconds', microsecond: 'addMicroseconds',
};

/** Settings every compiled query relies on. */
export const CLICKHOUSE_SETTINGS: Readonly<Record<string, string | number>> = {
  join_use_nulls: 1,
  aggregate_functions_null_for_empty: 0,
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_denormals: 1,
  allow_experimental_analyzer: 1,
};

/** ClickHouse string literals interpret backslash escapes: escape `\` and `'`, and write control characters as \xHH. */
function stringLiteral(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `'${out}'`;
}

// Never a Nullable condition or branch (ifNull, assumeNotNull): ClickHouse 18.16's if() refuses a Nullable constant
// condition, and a Nullable(String) branch beside NULL (it would nest Nullable); a NULL value gives NULL either way.
const clickhouseRealJson = (s: string): string => {
  const x = `assumeNotNull(toFloat64(${s}))`;
  return `if(ifNull(isFinite(toFloat64(${s})), 0), if(${x} = trunc(${x}) AND abs(${x}) < 1e15, concat(toString(${x}), '.0'), toString(${x})), NULL)`;
};

const limited = (array: string, limit: Arg | undefined): string => (limit ? `arraySlice(${array}, 1, ${limit.sql})` : array);

/** An aggregate over the values where the predicate holds (the -If combinator). */
const where = (fn: string, x: string, predicate: Arg | undefined, c: SqlContext): string =>
  predicate ? `${fn}If(${x}, coalesce(${c.sql(predicate.e, false)}, false))` : `${fn}(${x})`;

/** make_set(_if): sorted distinct values; a dynamic array's elements are added one by one, as raw JSON. */
function makeSet(x: Arg | undefined, predicate: Arg | undefined, limit: Arg | undefined, c: SqlContext): string {
  if (!x) return c.unsupported('make_set without a value');
  if (x.e.type === 'dynamic') {
    const v = `assumeNotNull(${x.sql})`;
    const elements = `if(isNull(${x.sql}), [], if(JSONType(${v}) = 'Array', JSONExtractArrayRaw(${v}), [${v}]))`;
    return `concat('[', arrayStringConcat(${limited(`arraySort(arrayDistinct(arrayFlatten(${where('groupArray', elements, predicate, c)})))`, limit)}, ','), ']')`;
  }
  const set = limited(`arraySort(${where('groupUniqArray', x.sql, predicate, c)})`, limit);
  if (x.e.type === 'real') return `concat('[', arrayStringConcat(arrayMap(__m -> coalesce(${clickhouseRealJson('__m')}, 'null'), ${set}), ','), ']')`;
  return `toJSONString(${set})`;
}

/** make_list(_if): the values in input order (groupArray skips NULLs, as Kusto does). */
function makeList(x: Arg | undefined, predicate: Arg | undefined, limit: Arg | undefined, c: SqlContext): string {
  if (!x) return c.unsupported('make_list without a value');
  const list = limited(where('groupArray', x.sql, predicate, c), limit);
  // Reals keep their `.0` in the JSON (Kusto's dynamic text), which toJSONString drops.
  if (x.e.type === 'real') return `concat('[', arrayStringConcat(arrayMap(__m -> coalesce(${clickhouseRealJson('__m')}, 'null'), ${list}), ','), ']')`;
  return `toJSONString(${list})`;
}

export const clickhouse: Dialect = {
  ...baseDialect,
  name: 'clickhouse',
  label: 'ClickHouse',
  // A Distributed table's filters and partial aggregation run on the shards only at its own SELECT level. UNION ALL
  // branches run in parallel (seen on chdb 26.7 as on 18.16): a datatable's rows are sorted by their position.
  capabilities: { ...baseDialect.capabilities, flatTableReads: true, unionAllKeepsOrder: false },
  overrides: {
    scalars: {},
    aggregates: {
      // min/max of no values are null in Kusto; ClickHouse's plain min/max give the type's default there.
      min: ([x]) => `minOrNull(${x?.sql})`,
      max: ([x]) => `maxOrNull(${x?.sql})`,
      make_set: (a, c) => makeSet(a[0], undefined, a[1], c),
      make_set_if: (a, c) => makeSet(a[0], a[1], a[2], c),
      make_list: (a, c) => makeList(a[0], undefined, a[1], c),
      make_list_if: (a, c) => makeList(a[0], a[1], a[2], c),
      stdev: ([x]) => `if(count(${x?.sql}) > 1, stddevSamp(${x?.sql}), 0)`,
      variance: ([x]) => `if(count(${x?.sql}) > 1, varSamp(${x?.sql}), 0)`,
      percentile: ([x, p]) =>
        `if(count(${x?.sql}) = 0, NULL, arraySort(groupArray(${x?.sql}))[greatest(1, toInt64(ceil(${p?.sql} / 100.0 * count(${x?.sql}))))])`,
      arg_max: ([x, by]) => `tupleElement(argMax(tuple(${x?.sql}), ${by?.sql}), 1)`,
      arg_min: ([x, by]) => `tupleElement(argMin(tuple(${x?.sql}), ${by?.sql}), 1)`,
    },
  },

  ident: (name) => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``,
  string: stringLiteral,
  sqlType,
  typedNull: (t) => `CAST(NULL AS ${sqlType(t)})`,
  number: (v, t) => `CAST(${String(v)} AS ${sqlType(t)})`,
  nan: () => `CAST(nan AS Nullable(Float64))`,
  infinity: (negative) => `CAST(${negative ? '-' : ''}inf AS Nullable(Float64))`,
  datetime: (micros) => `CAST(fromUnixTimestamp64Micro(CAST(${String(micros)} AS Int64), 'UTC') AS ${sqlType('datetime')})`,
  json: (text) => stringLiteral(text),

  cast: (sql, t) => `CAST(${sql} AS ${sqlType(t)})`,
  tryCast: (sql, t) => `accurateCastOrNull(${sql}, ${stringLiteral(BASE_TYPES[t])})`,
  lower: (s) => `lowerUTF8(${s})`,
  upper: (s) => `upperUTF8(${s})`,
  length: (s) => `lengthUTF8(${s})`,
  substring: (s, start, len) => (len === undefined ? `substringUTF8(${s}, ${start})` : `substringUTF8(${s}, ${start}, ${len})`),
  regexMatch: (s, p) => `match(${s}, ${p})`,
  regexExtract: (s, p, g) => `regexpExtract(${s}, ${p}, ${g})`,
  regexReplaceAll: (s, p, r) => `replaceRegexpAll(${s}, ${p}, ${r})`,
  regexEscape: (s) => `regexpQuoteMeta(${s})`,
  replaceAll: (s, a, b) => `replaceAll(${s}, ${a}, ${b})`,
  containsCs: (s, n) => `(position(${s}, ${n}) > 0)`,
  containsCi: (s, n) => `(positionCaseInsensitiveUTF8(${s}, ${n}) > 0)`,
  startsWith: (s, p) => `startsWith(${s}, ${p})`,
  endsWith: (s, p) => `endsWith(${s}, ${p})`,
  // intDiv truncates toward zero; intDivOrNull gives NULL for a zero divisor (checked in test/kql/dialects.test.ts).
  intDiv: (a, b) => `intDivOrNull(CAST(${a} AS Nullable(Int64)), CAST(${b} AS Nullable(Int64)))`,
  datetimeToMicros: (s) => `toUnixTimestamp64Micro(${s})`,
  microsToDatetime: (s) => `fromUnixTimestamp64Micro(CAST(${s} AS Nullable(Int64)), 'UTC')`,
  addUnits: (unit, n, dt) => {
    const fn = UNIT_FUNCTIONS[unit];
    if (!fn) throw new Error(`unit ${unit}`);
    return `${fn}(${dt}, ${n})`;
  },
  diffUnits: (unit, a, b) => `dateDiff('${unit}', ${b}, ${a})`,
  splitToJson: (s, d) => `toJSONString(splitByString(${d}, ${s}))`,
  jsonKind: (s) =>
    `if(isNull(${s}), NULL, multiIf(JSONType(${s}) IN ('Int64', 'UInt64'), 'integer', JSONType(${s}) = 'Double', 'real', ` +
    `JSONType(${s}) = 'String', 'string', JSONType(${s}) = 'Bool', 'bool', 'other'))`,
  dynamicText: (s) => `CAST(${s} AS Nullable(String))`,
  jsonArrayLength: (s) => `if(JSONType(${s}) = 'Array', toInt64(JSONLength(${s})), NULL)`,
  // JSONExtractRaw's integer index also picks members of an object (and its string key never matches in an
  // array): the type test keeps Kusto's rule that an index applies to arrays and a name to property bags.
  jsonGet: (s, key) =>
    typeof key === 'number'
      ? `if(JSONType(${s}) = 'Array', nullIf(JSONExtractRaw(${s}, ${key < 0 ? key : key + 1}), ''), NULL)`
      : `if(JSONType(${s}) = 'Object', nullIf(JSONExtractRaw(${s}, ${stringLiteral(key)}), ''), NULL)`,
  jsonElementAt: (s, i) =>
    `if(JSONType(${s}) = 'Array', nullIf(JSONExtractRaw(${s}, toInt64(if(${i} < 0, ${i}, ${i} + 1))), ''), NULL)`,
  jsonMemberAt: (s, k) => `if(JSONType(${s}) = 'Object', nullIf(JSONExtractRaw(${s}, ${k}), ''), NULL)`,
  jsonToString: (s) => `coalesce(if(JSONType(${s}) = 'String', JSONExtractString(${s}), ${s}), '')`,
  boolToString: (s) => `coalesce(if(${s}, 'true', 'false'), '')`,
  integerToString: (s) => `coalesce(toString(${s}), '')`,
  realText: (s) => `toString(toFloat64(${s}))`,
  isNan: (s) => `isNaN(${s})`,
  datetimeSecondsText: (s) => `formatDateTime(${s}, '%Y-%m-%dT%H:%i:%S', 'UTC')`,
  // leftPad truncates a longer text: pad only what is shorter.
  zeroPad: (s, width) => `arrayMap(__z -> if(length(__z) < ${width}, leftPad(__z, ${width}, '0'), __z), [toString(${s})])[1]`,
  repeat: (s, n) => `repeat(${s}, toUInt64(greatest(${n}, 0)))`,
  bind: (value, name, body) => `arrayMap(${name} -> ${body}, [${value}])[1]`,
  shiftRight: (s, bits) => `bitShiftRight(toInt64(${s}), ${bits})`,

  // JSONExtractArrayRaw rewrites numbers (111.0 → 111): a whole real gets its `.0` back, from the element's type.
  jsonArrayElements: (j) =>
    `if(JSONType(assumeNotNull(${j})) = 'Array', arrayMap((__x, __xi) -> if(JSONType(assumeNotNull(${j}), __xi) = 'Double' AND NOT match(__x, '[.eE]'), concat(__x, '.0'), __x), ` +
    `JSONExtractArrayRaw(assumeNotNull(${j})), arrayEnumerate(JSONExtractArrayRaw(assumeNotNull(${j})))), CAST([] AS Array(String)))`,
  jsonArrayFrom: (e) => `concat('[', arrayStringConcat(${e}, ','), ']')`,
  jsonArrayNumbers: (j) =>
    `if(JSONType(assumeNotNull(${j})) = 'Array', arrayMap(__n -> if(JSONType(__n) IN ('Int64', 'UInt64', 'Double'), toFloat64OrNull(__n), NULL), JSONExtractArrayRaw(assumeNotNull(${j}))), CAST([] AS Array(Nullable(Float64))))`,
  arrayToJson: (a) => `toJSONString(${a})`,
  numberText: (s) => `toString(${s})`,
  // ClickHouse writes a whole double without its `.0`; below 1e15 it is written in digits, so `.0` can be added.
  realJson: clickhouseRealJson,
  jsonQuote: (s) => `toJSONString(toString(${s}))`,
  jsonValid: (s) => `(isValidJSON(${s}) = 1)`,
  jsonShape: (j) => `if(isNull(${j}), NULL, multiIf(JSONType(${j}) = 'Array', 'array', JSONType(${j}) = 'Object', 'object', 'scalar'))`,
  jsonObjectLength: (j) => `toInt64(JSONLength(${j}))`,
  jsonKeyAt: (j, i) => `JSONExtractKeys(assumeNotNull(${j}))[(${i}) + 1]`,
  arrayRange: (n) => `range(toUInt64(greatest(${n}, 0)))`,
  arrayLength: (a) => `toInt64(length(${a}))`,
  // Out of range, ClickHouse gives the type's default: the bounds are checked.
  arrayAt: (a, i) => `if((${i}) >= 0 AND (${i}) < length(${a}), (${a})[(${i}) + 1], NULL)`,
  arrayIndexOf: (a, v) => `(toInt64(indexOf(${a}, ${v})) - 1)`,
  arrayConcat: (arrays) => `arrayConcat(${arrays.join(', ')})`,
  arrayMap: (a, v, body) => `arrayMap(${v} -> ${body}, ${a})`,
  arrayFilter: (a, v, body) => `arrayFilter(${v} -> ${body}, ${a})`,
  arraySlice: (a, start, length) => `arraySlice(${a}, (${start}) + 1, ${length})`,
  arrayAggregate: (fn, a) =>
    `arrayReduce('${{ min: 'min', max: 'max', sum: 'sum', avg: 'avg', var_samp: 'varSamp', stddev_samp: 'stddevSamp' }[fn]}OrNull', ${a})`,
  isFinite: (s) => `isFinite(${s})`,
  collect: (s) => `groupArray(${s})`,
  tuple: (values) => `tuple(${values.join(', ')})`,
  tupleGet: (t, i) => `tupleElement(${t}, ${i + 1})`,
  unnestRange: (n) => `arrayJoin(range(toUInt64(greatest(${n}, 0))))`,

  oneRowPerKey: (rel, keys, all) => `SELECT * FROM (${rel}) AS __u ORDER BY ${all.join(', ')} LIMIT 1 BY ${keys.join(', ')}`,
  joinKeyword: (kind) =>
    ({
      inner: 'INNER JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL OUTER JOIN',
      leftsemi: 'LEFT SEMI JOIN', leftanti: 'LEFT ANTI JOIN', rightsemi: 'RIGHT SEMI JOIN', rightanti: 'RIGHT ANTI JOIN',
    })[kind],
  // abs() of a signed integer is unsigned here, so it never overflows. Not the ±list: the optimizer moves a plain
  // `column IN (…)` ahead of the other PREWHERE conditions, which made the seed rule ~1.4× slower (issue 3 bench).
  integerMagnitudeIn: (s, magnitudes) => `abs(${s}) IN (${magnitudes.join(', ')})`,
  seriesArrays: CLICKHOUSE_ARRAYS,
  nullSafeEquals: (a, b) => `isNotDistinctFrom(${a}, ${b})`,
};
