/**
 * ClickHouse servers before 24.x, as tested on Debian's 18.16: the ClickHouse dialect with the differences of an
 * old server stated as data (capabilities) and as the primitives it spells otherwise. What 18.16 lacks, from its
 * probes (docs/clickhouse.md): DateTime64 (datetimes are Int64 microseconds since the epoch, and calendar
 * arithmetic is integer arithmetic on them), Bool (UInt8), `true`/`false`, CTEs, window functions, SEMI/ANTI
 * joins, JSONExtract and every JSON parser (dynamic values are refused where they must be parsed), isNotDistinctFrom,
 * accurateCastOrNull, intDivOrNull, regexpExtract, regexpQuoteMeta, leftPad, repeat, toJSONString, minOrNull.
 */
import type { ScalarType } from '../types.js';
import { clickhouse } from './clickhouse.js';
import { extendDialect, PrimitiveUnavailableError, type Dialect } from './dialect.js';
import { arg, type Arg, type SqlContext } from './template.js';

const BASE_TYPES: Readonly<Record<ScalarType, string>> = {
  bool: 'UInt8', int: 'Int32', long: 'Int64', real: 'Float64', decimal: 'Float64', string: 'String',
  datetime: 'Int64', timespan: 'Int64', dynamic: 'String', guid: 'String',
};

const sqlType = (t: ScalarType): string => (t === 'string' ? BASE_TYPES[t] : `Nullable(${BASE_TYPES[t]})`);

const MICROS: Readonly<Record<string, number>> = {
  microsecond: 1, millisecond: 1_000, second: 1_000_000, minute: 60_000_000, hour: 3_600_000_000, day: 86_400_000_000, week: 604_800_000_000,
};
const MONTHS: Readonly<Record<string, number>> = { month: 1, quarter: 3, year: 12 };
const DAY = MICROS.day!;

const bind = (value: string, name: string, body: string): string => `arrayMap(${name} -> ${body}, [${value}])[1]`;

/**
 * Integer division rounding toward −∞ for a positive divisor (arithmetic, so a NULL stays NULL). The divisor is
 * typed Int64: 18.16 reads 3600000000 as UInt32 and computes Int64 % UInt32 wrongly.
 */
const floorDiv = (a: string, b: number | string): string => `(intDiv(${a}, toInt64(${b})) - ((${a}) % toInt64(${b}) < 0))`;

/** Days since 1970-01-01 → tuple(year, month, day): H. Hinnant's civil_from_days, in integers, any year. */
function civil(days: string): string {
  return bind(`toInt64(${days}) + 719468`, '__z',
    bind(floorDiv('__z', 146097), '__era',
      bind('__z - __era * 146097', '__doe',
        bind('intDiv(__doe - intDiv(__doe, 1460) + intDiv(__doe, 36524) - intDiv(__doe, 146096), 365)', '__yoe',
          bind('__doe - (365 * __yoe + intDiv(__yoe, 4) - intDiv(__yoe, 100))', '__doy',
            bind('intDiv(5 * __doy + 2, 153)', '__mp',
              'tuple(__yoe + __era * 400 + if(__mp >= 10, 1, 0), if(__mp < 10, __mp + 3, __mp - 9), __doy - intDiv(153 * __mp + 2, 5) + 1)'))))));
}

/** (year, month, day) → days since 1970-01-01: Hinnant's days_from_civil. */
function daysFromCivil(y: string, m: string, d: string): string {
  return bind(`toInt64(${y}) - if(${m} <= 2, 1, 0)`, '__cy',
    bind(floorDiv('__cy', 400), '__ce',
      bind('__cy - __ce * 400', '__cye',
        bind(`__cye * 365 + intDiv(__cye, 4) - intDiv(__cye, 100) + intDiv(153 * (toInt64(${m}) + if(${m} > 2, -3, 9)) + 2, 5) + toInt64(${d}) - 1`, '__cde',
          '__ce * 146097 + __cde - 719468'))));
}

/** A datetime (microseconds) plus n calendar months, the day clamped to the month's last (as .NET AddMonths). */
function addMonths(micros: string, months: string): string {
  return bind(micros, '__t',
    bind(floorDiv('__t', DAY), '__days',
      bind(civil('__days'), '__c',
        bind(`tupleElement(__c, 1) * 12 + tupleElement(__c, 2) - 1 + toInt64(${months})`, '__n',
          bind(`tuple(${floorDiv('__n', 12)}, __n - ${floorDiv('__n', 12)} * 12 + 1)`, '__ym',
            bind(
              `${daysFromCivil('tupleElement(__ym, 1) + if(tupleElement(__ym, 2) = 12, 1, 0)', 'if(tupleElement(__ym, 2) = 12, 1, tupleElement(__ym, 2) + 1)', '1')}` +
                ` - ${daysFromCivil('tupleElement(__ym, 1)', 'tupleElement(__ym, 2)', '1')}`,
              '__len',
              `${daysFromCivil('tupleElement(__ym, 1)', 'tupleElement(__ym, 2)', 'least(tupleElement(__c, 3), __len)')} * ${DAY} + (__t - __days * ${DAY})`,
            ))))));
}

/** The calendar month number (year·12 + month) of a datetime, for month/quarter/year differences. */
function monthIndex(micros: string): string {
  return bind(civil(floorDiv(micros, DAY)), '__m', 'tupleElement(__m, 1) * 12 + tupleElement(__m, 2) - 1');
}

/** A value that is NULL when `value` is: the old server's lambdas would otherwise see NULL as the type default. */
const nullSafe = (value: string, body: (v: string) => string): string => `if(isNull(${value}), NULL, ${body(`assumeNotNull(${value})`)})`;

const zeros = '0'.repeat(32);

/** JSON text of a string: backslash, quote and control characters escaped. */
function jsonString(s: string): string {
  const escaped = [
    ['\\\\\\\\', '\\\\\\\\\\\\\\\\'],
    ['"', '\\\\"'],
    ['\\n', '\\\\n'],
    ['\\r', '\\\\r'],
    ['\\t', '\\\\t'],
  ].reduce((sql, [from, to]) => `replaceAll(${sql}, '${from}', '${to}')`, s);
  return `concat('"', ${escaped}, '"')`;
}

/** JSON text of one scalar value of a Kusto type, for make_list/make_set; other types are refused. */
function jsonValue(x: Arg, c: SqlContext): string {
  switch (x.e.type) {
    case 'string':
      return jsonString(x.sql);
    case 'int':
    case 'long':
      return `toString(${x.sql})`;
    case 'real':
      return `toString(toFloat64(${x.sql}))`;
    case 'bool':
      return `if(${x.sql}, 'true', 'false')`;
    default:
      return c.unsupported(`make_list()/make_set() of ${x.e.type} values on ${c.d.label}`);
  }
}

const jsonArray = (elements: string): string => `concat('[', arrayStringConcat(${elements}, ','), ']')`;

/** make_set(_if) / make_list(_if) of scalar values, written as JSON without toJSONString. */
function collection(kind: 'set' | 'list', x: Arg | undefined, predicate: Arg | undefined, limit: Arg | undefined, c: SqlContext): string {
  if (!x || x.e.type === 'dynamic') return c.unsupported(`make_${kind}() of dynamic values on ${c.d.label} (no JSON functions)`);
  const fn = kind === 'set' ? 'groupUniqArray' : 'groupArray';
  const values = predicate ? `${fn}If(${x.sql}, ifNull(${c.sql(predicate.e, false)}, 0))` : `${fn}(${x.sql})`;
  const ordered = kind === 'set' ? `arraySort(${values})` : values;
  const kept = limit ? `arraySlice(${ordered}, 1, ${limit.sql})` : ordered;
  return jsonArray(`arrayMap(__v -> ${jsonValue({ e: x.e, sql: '__v' }, c)}, ${kept})`);
}

/**
 * A case-insensitive pattern for 18.16's match(): it prefilters on the pattern's literal text case-sensitively,
 * ignoring `(?i)`, so letters outside classes become classes ([nN]) that give it no literal to require. The
 * pattern is a string literal of this dialect; anything else is left as it is.
 */
function caseClasses(pattern: string): string {
  if (!/^'(?:[^'\\]|\\.)*'$/.test(pattern) || !pattern.includes('(?i)')) return pattern;
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '\\') {
      out += pattern.slice(i, i + escapeLength(pattern, i));
      i += escapeLength(pattern, i) - 1;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    const flag = ch === 'i' && pattern.slice(i - 2, i) === '(?';
    out += !inClass && !flag && /[a-zA-Z]/.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch;
  }
  return out;
}

/**
 * Characters of the escape at `i` of a string literal: `\'` and `\xHH` are the literal's own; `\\` starts a regex
 * escape (`\\.`, `\\\\`, `\\p{L}`), kept whole so its letters stay as they are.
 */
function escapeLength(pattern: string, i: number): number {
  if (pattern[i + 1] === 'x') return 4;
  if (pattern[i + 1] !== '\\') return 2;
  if (pattern[i + 2] === '\\') return 4;
  if (/[pP]/.test(pattern[i + 2] ?? '') && pattern[i + 3] === '{') return pattern.indexOf('}', i) - i + 1;
  return 3;
}

/** `YYYY-MM-DD[ hh:mm[:ss[.fffffff]]]` → microseconds, NULL when a field is out of range (any year, unlike DateTime). */
function isoMicros(text: string): string {
  const part = (start: number, length: number): string => `toInt64OrZero(substring(__i, ${start}, ${length}))`;
  const has = (length: number): string => `(length(__i) >= ${length})`;
  const fraction = `if(length(__i) > 20, toInt64OrZero(substring(concat(substring(__i, 21, 6), '000000'), 1, 6)), 0)`;
  return bind(text, '__i',
    bind(`tuple(${part(1, 4)}, ${part(6, 2)}, ${part(9, 2)}, if(${has(13)}, ${part(12, 2)}, 0), if(${has(16)}, ${part(15, 2)}, 0), if(${has(19)}, ${part(18, 2)}, 0))`, '__f',
      bind(`tuple(tupleElement(__f, 1) + if(tupleElement(__f, 2) = 12, 1, 0), if(tupleElement(__f, 2) = 12, 1, tupleElement(__f, 2) + 1))`, '__next',
        `if(tupleElement(__f, 2) BETWEEN 1 AND 12 AND tupleElement(__f, 3) >= 1 AND tupleElement(__f, 4) < 24 AND tupleElement(__f, 5) < 60 AND tupleElement(__f, 6) < 60` +
          ` AND ${daysFromCivil('tupleElement(__f, 1)', 'tupleElement(__f, 2)', 'tupleElement(__f, 3)')} < ${daysFromCivil('tupleElement(__next, 1)', 'tupleElement(__next, 2)', '1')},` +
          ` CAST(${daysFromCivil('tupleElement(__f, 1)', 'tupleElement(__f, 2)', 'tupleElement(__f, 3)')} * ${DAY} + tupleElement(__f, 4) * 3600000000 + tupleElement(__f, 5) * 60000000` +
          ` + tupleElement(__f, 6) * 1000000 + ${fraction} AS Nullable(Int64)), NULL)`)));
}

/** Kusto's three-valued AND/OR (an operand that decides wins over NULL), which 18.16's and()/or() do not keep. */
function threeValued(op: 'AND' | 'OR') {
  return (args: readonly Arg[], c: SqlContext): string => {
    const sqls = args.map((a) => c.sql(a.e, c.truth));
    if (c.truth) return `(${sqls.join(` ${op} `)})`;
    const decides = op === 'AND' ? 0 : 1;
    const decided = sqls.map((x) => `ifNull(${x}, ${1 - decides}) = ${decides}`).join(' OR ');
    const unknown = sqls.map((x) => `isNull(${x})`).join(' OR ');
    return `multiIf(${decided}, ${decides}, ${unknown}, NULL, ${1 - decides})`;
  };
}

const unavailable = (what: string) => (): never => {
  throw new PrimitiveUnavailableError(what);
};

export const clickhouseOldServer: Dialect = extendDialect(clickhouse, {
  label: 'ClickHouse 18.16',
  capabilities: {
    rightSemiJoin: false, semiJoins: false, joinKeysReadable: false, unionAllKeepsOrder: false, makeSeries: false,
    windowFunctions: false, commonTableExpressions: false, computedRegexPatterns: false,
  },
  overrides: {
    scalars: {
      and: threeValued('AND'),
      or: threeValued('OR'),
      // 18.16's coalesce() gives NULL when its last argument is a Nullable constant, and ifNull() refuses one: CASE.
      coalesce: (args, c) => {
        if (c.type === 'string') {
          const whens = args.slice(0, -1).map((a) => `WHEN ${a.sql} <> '' THEN ${a.sql}`).join(' ');
          const last = args[args.length - 1]?.sql ?? "''";
          return whens ? `CASE ${whens} ELSE ${last} END` : last;
        }
        const values = args.map((a) => c.d.cast(a.sql, c.type));
        return `CASE ${values.slice(0, -1).map((v) => `WHEN ${v} IS NOT NULL THEN ${v}`).join(' ')} ELSE ${values[values.length - 1] ?? 'NULL'} END`;
      },
    },
    aggregates: {
      // 18.16 gives NULL where Kusto gives NaN or 0 for no values, and its coalesce() loses the fallback.
      avg: (a, c) => `ifNull(avg(${arg(a, 0, c).sql}), nan)`,
      avgif: (a, c) => `ifNull(avg(CASE WHEN ${arg(a, 1, c).sql} THEN ${arg(a, 0, c).sql} END), nan)`,
      dcount: (a, c) => `ifNull(count(DISTINCT ${arg(a, 0, c).sql}), 0)`,
      dcountif: (a, c) => `ifNull(count(DISTINCT CASE WHEN ${arg(a, 1, c).sql} THEN ${arg(a, 0, c).sql} END), 0)`,
      // min/max over no values are null in Kusto: the old server's min of a non-null column gives 0 there.
      min: ([x]) => `if(count(${x?.sql}) = 0, NULL, min(${x?.sql}))`,
      max: ([x]) => `if(count(${x?.sql}) = 0, NULL, max(${x?.sql}))`,
      make_set: (a, c) => collection('set', a[0], undefined, a[1], c),
      make_set_if: (a, c) => collection('set', a[0], a[1], a[2], c),
      make_list: (a, c) => collection('list', a[0], undefined, a[1], c),
      make_list_if: (a, c) => collection('list', a[0], a[1], a[2], c),
    },
  },

  sqlType,
  typedNull: (t) => `CAST(NULL AS ${sqlType(t)})`,
  number: (v, t) => `CAST(${String(v)} AS ${sqlType(t)})`,
  datetime: (micros) => `CAST(${String(micros)} AS ${sqlType('datetime')})`,
  bool: (v) => (v ? '1' : '0'),
  nan: () => 'nan',
  infinity: (negative) => (negative ? '-inf' : 'inf'),
  sign: (s) => `((${s} > 0) - (${s} < 0))`,
  least: (values) => values.reduceRight((rest, v) => `least(${v}, ${rest})`),
  regexMatch: (s, p) => `match(${s}, ${caseClasses(p)})`,
  cast: (sql, t) => `CAST(${sql} AS ${sqlType(t)})`,
  tryCast: (sql, t) => {
    switch (t) {
      case 'int':
      case 'long': {
        // toInt64OrNull wraps around on overflow: only values inside the type's range convert.
        const limit = t === 'int' ? 2147483648 : 9223372036854775808;
        return bind(`toString(${sql})`, '__s',
          `if(abs(toFloat64OrNull(__s)) < ${limit}.0 OR match(__s, '^-?0*[0-9]{1,18}$'), ${t === 'int' ? 'toInt32OrNull' : 'toInt64OrNull'}(__s), NULL)`);
      }
      case 'real':
        return `toFloat64OrNull(toString(${sql}))`;
      case 'datetime':
        return isoMicros(sql);
      default:
        return `CAST(${sql} AS ${sqlType(t)})`;
    }
  },
  // substringUTF8 takes only constant positions here: slice the characters instead.
  substring: (s, start, len) => `arrayStringConcat(arraySlice(extractAll(assumeNotNull(${s}), '(?s).'), ${start}${len === undefined ? '' : `, ${len}`}))`,
  // group 0 is the whole match; other groups: the text replaced by the group (RE2 numbers groups left to right).
  regexExtract: (s, p, g) =>
    g === '0'
      ? `extract(${s}, concat('(', ${p}, ')'))`
      : `if(match(${s}, ${p}), replaceRegexpOne(${s}, concat('(?s)^.*?(?:', ${p}, ').*$'), '\\\\${g}'), '')`,
  regexEscape: (s) => `replaceRegexpAll(${s}, '([\\\\\\\\^$.|?*+()\\\\[\\\\]{}])', '\\\\\\\\\\\\1')`,
  intDiv: (a, b) => bind(`tuple(CAST(${a} AS Nullable(Int64)), CAST(${b} AS Nullable(Int64)))`, '__d',
    'if(tupleElement(__d, 2) = 0, NULL, intDivOrZero(tupleElement(__d, 1), tupleElement(__d, 2)))'),
  datetimeToMicros: (s) => s,
  microsToDatetime: (s) => `CAST(${s} AS ${sqlType('datetime')})`,
  addUnits: (unit, n, dt) => {
    const months = MONTHS[unit];
    if (months !== undefined) return nullSafe(dt, (t) => nullSafe(`toInt64(${n})`, (k) => addMonths(t, `${k} * ${months}`)));
    const size = MICROS[unit];
    if (size === undefined) throw new Error(`unit ${unit}`);
    return `(${dt} + toInt64(${n}) * ${size})`;
  },
  diffUnits: (unit, a, b) => {
    const months = MONTHS[unit];
    if (months !== undefined) {
      const index = (t: string): string => nullSafe(t, (v) => floorDiv(monthIndex(v), months));
      return `(${index(a)} - ${index(b)})`;
    }
    const size = MICROS[unit];
    if (size === undefined) throw new Error(`unit ${unit}`);
    return `(${floorDiv(a, size)} - ${floorDiv(b, size)})`;
  },
  splitToJson: (s, d) => jsonArray(`arrayMap(__p -> ${jsonString('__p')}, splitByString(${d}, ${s}))`),
  jsonKind: unavailable('JSON functions'),
  jsonArrayElements: unavailable('JSON functions'),
  jsonArrayNumbers: unavailable('JSON functions'),
  jsonValid: unavailable('JSON functions'),
  jsonShape: unavailable('JSON functions'),
  jsonObjectLength: unavailable('JSON functions'),
  jsonKeyAt: unavailable('JSON functions'),
  // No toJSONString: each element by its type name (numbers as their text, strings quoted, NULL as null).
  arrayToJson: (a) =>
    jsonArray(`arrayMap(__v -> ifNull(if(position(toTypeName(__v), 'String') > 0, ${jsonString('toString(__v)')}, toString(__v)), 'null'), ${a})`),
  jsonQuote: (s) => jsonString(`toString(${s})`),
  arrayRange: (n) => `range(toUInt64(greatest(ifNull(${n}, 0), 0)))`,
  unnestRange: (n) => `arrayJoin(range(toUInt64(greatest(ifNull(${n}, 0), 0))))`,
  // No -OrNull combinator: NULL when no element is set, as Kusto's series functions want.
  arrayAggregate: (fn, a) =>
    `if(length(arrayFilter(__x -> isNotNull(__x), ${a})) = 0, NULL, arrayReduce('${{ min: 'min', max: 'max', sum: 'sum', avg: 'avg', var_samp: 'varSamp', stddev_samp: 'stddevSamp' }[fn]}', ${a}))`,
  jsonArrayLength: unavailable('JSON functions'),
  jsonGet: unavailable('JSON functions'),
  jsonElementAt: unavailable('JSON functions'),
  jsonMemberAt: unavailable('JSON functions'),
  jsonToString: unavailable('JSON functions'),
  boolToString: (s) => `coalesce(if(${s}, 'true', 'false'), '')`,
  datetimeSecondsText: (s) =>
    nullSafe(s, (t) =>
      bind(floorDiv(t, DAY), '__sd',
        bind(civil('__sd'), '__sc',
          bind(`intDiv(${t} - __sd * ${DAY}, 1000000)`, '__ss',
            `concat(${pad('tupleElement(__sc, 1)', 4)}, '-', ${pad('tupleElement(__sc, 2)', 2)}, '-', ${pad('tupleElement(__sc, 3)', 2)}, 'T', ` +
              `${pad('intDiv(__ss, 3600)', 2)}, ':', ${pad('intDiv(__ss, 60) % 60', 2)}, ':', ${pad('__ss % 60', 2)})`)))),
  // Pads only what is shorter (a longer text stays whole).
  zeroPad: (s, width) => pad(s, width),
  repeat: (s, n) => `arrayStringConcat(arrayMap(__r -> ${s}, range(toUInt64(greatest(ifNull(${n}, 0), 0)))))`,
  // Without parentheses: JOIN ON accepts only a flat AND of equalities.
  nullSafeEquals: (a, b) => `isNull(${a}) = isNull(${b}) AND assumeNotNull(${a}) = assumeNotNull(${b})`,
  joinKeyword: (kind) => ({ inner: 'INNER JOIN', left: 'LEFT JOIN', right: 'RIGHT JOIN', full: 'FULL OUTER JOIN' } as Record<string, string>)[kind] ?? unavailable(`${kind} joins`)(),
});

function pad(s: string, width: number): string {
  return bind(`toString(${s})`, '__z', `concat(substring('${zeros.slice(0, width)}', 1, toUInt64(greatest(${width} - length(__z), 0))), __z)`);
}
