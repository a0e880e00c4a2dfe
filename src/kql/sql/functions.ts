/**
 * Kusto scalar functions and operators as SQL templates, written once over the dialect primitives (dialect.ts).
 * Each template receives its arguments as compiled SQL with their IR (types, literal values) and returns SQL with
 * Kusto's semantics: strings never null, null-propagating arithmetic, null → null for ipv4 functions, …
 *
 * Adding a function: add its name to SCALAR_FUNCTIONS in build.ts and a template here; if the engines spell a
 * needed operation differently, add a primitive to `Dialect` and both dialect files.
 */
import type { Expr } from '../ir.js';
import { MICROS, isInteger, type ScalarType } from '../types.js';
import { regexQuote, type Dialect } from './dialect.js';

export interface Arg {
  readonly sql: string;
  readonly e: Expr;
}

export interface TemplateContext {
  readonly d: Dialect;
  /** The call's result type. */
  readonly type: ScalarType;
  /** Rejects a form the templates cannot translate exactly. */
  readonly unsupported: (what: string) => never;
  /** Only "is it true?" matters here (a WHERE condition): a template may then give false where Kusto gives null. */
  readonly truth?: boolean;
}

type Template = (args: readonly Arg[], c: TemplateContext) => string;

/** Term characters (kusto-semantics.md §1, §15 Q4): Unicode letters and digits; everything else delimits. */
const DELIMITER = '[^\\p{L}\\p{N}]';

/** A regex (text) matching `term` as a whole term (or a phrase bounded by delimiters) of a string. */
export function termPattern(terms: readonly string[], caseSensitive: boolean, edges: { start: boolean; end: boolean } = { start: true, end: true }): string {
  const alternatives = terms.map(regexQuote).join('|');
  const body = terms.length === 1 ? alternatives : `(?:${alternatives})`;
  return `${caseSensitive ? '' : '(?i)'}${edges.start ? `(?:^|${DELIMITER})` : ''}${body}${edges.end ? `(?:${DELIMITER}|$)` : ''}`;
}

const constantString = (a: Arg | undefined): string | undefined =>
  a?.e.k === 'lit' && typeof a.e.value === 'string' ? a.e.value : undefined;

const constantNumber = (a: Arg | undefined): number | undefined =>
  a?.e.k === 'lit' && typeof a.e.value === 'number' ? a.e.value : undefined;

function arg(args: readonly Arg[], i: number, c: TemplateContext): Arg {
  const a = args[i];
  if (!a) return c.unsupported(`a call with fewer than ${i + 1} arguments`);
  return a;
}

/** Kusto `tostring()` of any type. `tostring(null)` is "". */
export function toStringSql(a: Arg, c: TemplateContext): string {
  const { d } = c;
  switch (a.e.type) {
    case 'string':
      return a.sql;
    case 'guid':
      return `coalesce(${a.sql}, '')`;
    case 'int':
    case 'long':
      return d.integerToString(a.sql);
    case 'bool':
      return d.boolToString(a.sql);
    case 'dynamic':
      return d.jsonToString(a.sql);
    case 'real':
      return realToStringSql(a.sql, d);
    case 'datetime':
      return datetimeToStringSql(a.sql, d);
    case 'timespan':
      return timespanToStringSql(a.sql, d);
    default:
      return c.unsupported(`tostring() of a ${a.e.type} value`);
  }
}

/**
 * A real as .NET prints a double (Kusto runs on .NET): the shortest digits that round-trip, in fixed notation when
 * the decimal exponent is in −5 < e < 15 (`0.0001`, `123456789012345.6`, `1`), else scientific with a signed
 * two-digit exponent (`1E-05`, `1E+15`, `1.5E+20`); `NaN`, `Infinity`, `-Infinity`; null → "".
 * The engines' own text has the same shortest digits in other notations: it is taken apart into the digit string
 * D (no leading or trailing zeros) and the position p of the decimal point in D, then written again.
 */
function realToStringSql(x: string, d: Dialect): string {
  const s = (v: string): string => d.string(v);
  // t: the engine's text of |x|; i: its integer digits; a: all mantissa digits; p: the point's position in D.
  const integer = (t: string): string => d.regexExtract(t, s('^([0-9]+)'), '1');
  const fraction = (t: string): string => d.regexExtract(t, s('^[0-9]+\\.([0-9]+)'), '1');
  const exponent = (t: string): string => `coalesce(${d.tryCast(d.regexExtract(t, s('[eE][+]?(-?[0-9]+)$'), '1'), 'long')}, 0)`;
  const fixed = (D: string, p: string): string =>
    `CASE WHEN ${p} <= 0 THEN '0.' || ${d.repeat("'0'", `-(${p})`)} || ${D}` +
    ` WHEN ${p} >= ${d.length(D)} THEN ${D} || ${d.repeat("'0'", `${p} - ${d.length(D)}`)}` +
    ` ELSE ${d.substring(D, '1', p)} || '.' || ${d.substring(D, `${p} + 1`)} END`;
  const scientific = (D: string, p: string): string =>
    `${d.substring(D, '1', '1')} || CASE WHEN ${d.length(D)} > 1 THEN '.' || ${d.substring(D, '2')} ELSE '' END || 'E'` +
    ` || CASE WHEN ${p} - 1 < 0 THEN '-' ELSE '+' END || ${d.zeroPad(`abs(${p} - 1)`, 2)}`;
  const format = (D: string, p: string): string =>
    `CASE WHEN ${D} = '' THEN '0' WHEN ${p} - 1 > -5 AND ${p} - 1 < 15 THEN ${fixed(D, p)} ELSE ${scientific(D, p)} END`;
  const digits = d.bind(d.realText(`abs(${x})`), '__t',
    d.bind(`${integer('__t')} || ${fraction('__t')}`, '__a',
      d.bind(d.regexReplaceAll('__a', s('^0+'), "''"), '__b',
        d.bind(`${d.length(integer('__t'))} + ${exponent('__t')} - (${d.length('__a')} - ${d.length('__b')})`, '__p',
          d.bind(d.regexReplaceAll('__b', s('0+$'), "''"), '__d', format('__d', '__p'))))));
  return `CASE WHEN ${x} IS NULL THEN '' WHEN ${d.isNan(x)} THEN 'NaN' WHEN ${x} = ${d.infinity(false)} THEN 'Infinity'` +
    ` WHEN ${x} = ${d.infinity(true)} THEN '-Infinity' ELSE CASE WHEN ${x} < 0 THEN '-' ELSE '' END || ${digits} END`;
}

/** `2024-01-01T00:00:00Z`, or with seven fraction digits when not a whole second (values.ts datetimeText). */
function datetimeToStringSql(x: string, d: Dialect): string {
  const micros = `((${d.datetimeToMicros(x)} % 1000000 + 1000000) % 1000000)`;
  return `CASE WHEN ${x} IS NULL THEN '' ELSE ${d.datetimeSecondsText(x)} || CASE WHEN ${micros} = 0 THEN '' ELSE '.' || ${d.zeroPad(micros, 6)} || '0' END || 'Z' END`;
}

/** `[-][d.]hh:mm:ss[.fffffff]` (timespan.ts formatTimespan); timespans are microseconds. */
function timespanToStringSql(x: string, d: Dialect): string {
  const part = (t: string, unit: number, modulo?: number): string => {
    const whole = d.intDiv(t, String(unit));
    return modulo === undefined ? whole : `(${whole} % ${modulo})`;
  };
  const body = (t: string): string =>
    `CASE WHEN ${part(t, MICROS.day)} > 0 THEN ${d.integerToString(part(t, MICROS.day))} || '.' ELSE '' END` +
    ` || ${d.zeroPad(part(t, MICROS.hour, 24), 2)} || ':' || ${d.zeroPad(part(t, MICROS.minute, 60), 2)}` +
    ` || ':' || ${d.zeroPad(part(t, MICROS.second, 60), 2)}` +
    ` || CASE WHEN ${t} % 1000000 > 0 THEN '.' || ${d.zeroPad(`${t} % 1000000`, 6)} || '0' ELSE '' END`;
  return `CASE WHEN ${x} IS NULL THEN '' ELSE CASE WHEN ${x} < 0 THEN '-' ELSE '' END || ${d.bind(`abs(${d.cast(x, 'long')})`, '__s', body('__s'))} END`;
}

/** Term match of constant terms (has, has_any, hasprefix, …). */
function termMatch(left: Arg, terms: readonly string[], caseSensitive: boolean, c: TemplateContext, edges?: { start: boolean; end: boolean }): string {
  if (terms.length === 0) return c.d.bool(false);
  return c.d.regexMatch(left.sql, c.d.string(termPattern(terms, caseSensitive, edges)));
}

function constantTerms(args: readonly Arg[], c: TemplateContext, what: string): string[] {
  return args.map((a) => {
    const s = constantString(a) ?? (a.e.k === 'lit' && typeof a.e.value === 'number' ? String(a.e.value) : undefined);
    if (s === undefined) return c.unsupported(`${what} with a non-constant right side`);
    return s;
  });
}

/** IPv4 in strict dotted-quad form (no leading zeros), optional /0–/32 (kusto-semantics.md §15 Q5). */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const PREFIX = '(?:/(?:3[0-2]|[12]?[0-9]))?';
export const IPV4_PATTERN = `^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}${PREFIX}$`;
/** 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16: first octets, then the remaining two octets and optional prefix. */
export const IPV4_PRIVATE_PATTERN = `^(?:10\\.${OCTET}|172\\.(?:1[6-9]|2[0-9]|3[01])|192\\.168)\\.${OCTET}\\.${OCTET}${PREFIX}$`;

/** Parses a constant IPv4 range `a.b.c.d[/n]` into its first and last address as numbers. */
export function ipv4Range(text: string): { low: number; high: number } | undefined {
  if (!new RegExp(IPV4_PATTERN).test(text)) return undefined;
  const [address = '', prefixText] = text.split('/');
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const low = Math.floor(value / size) * size;
  return { low, high: low + size - 1 };
}

/** SQL yielding the numeric value of an IPv4 string (its address part), or NULL when not strictly IPv4. */
function ipv4ToNumber(sql: string, d: Dialect): string {
  const address = d.regexExtract(sql, d.string('^([0-9.]+)'), '1');
  const octet = (i: number): string => d.cast(d.regexExtract(address, d.string(`^(?:[0-9]+\\.){${i}}([0-9]+)`), '1'), 'long');
  return `CASE WHEN ${d.regexMatch(sql, d.string(IPV4_PATTERN))} THEN (${octet(0)} * 16777216 + ${octet(1)} * 65536 + ${octet(2)} * 256 + ${octet(3)}) END`;
}

/** SQL of the prefix length of a strict IPv4[/n] string: n, or 32 without a suffix. */
function ipv4PrefixLength(sql: string, d: Dialect): string {
  return `CASE WHEN ${d.regexMatch(sql, d.string('/'))} THEN ${d.tryCast(d.regexExtract(sql, d.string('/([0-9]+)$'), '1'), 'long')} ELSE 32 END`;
}

/** The ranges of ipv4_is_in_any_range: string arguments and the strings of constant dynamic arrays. */
function rangeArguments(args: readonly Arg[], c: TemplateContext): Arg[] {
  return args.flatMap((a) => {
    if (a.e.type !== 'dynamic') return [a];
    if (a.e.k !== 'lit' || !Array.isArray(a.e.value)) return c.unsupported('ipv4_is_in_any_range() over a computed dynamic array');
    return a.e.value.map((v) => {
      const e: Expr = { k: 'lit', type: 'string', value: typeof v === 'string' ? v : null };
      return { e, sql: typeof v === 'string' ? c.d.string(v) : c.d.typedNull('string') };
    });
  });
}

/**
 * `ip` in any of `ranges` (a.b.c.d[/n]); null when the address or any range is not IPv4 (the docs: "null if
 * conversion for one of the two IPv4 strings wasn't successful"). Constant ranges are checked here and become
 * numeric BETWEEN tests; computed ones compare the first n bits in SQL.
 */
function ipv4InRanges(ip: Arg, ranges: readonly Arg[], c: TemplateContext): string {
  const { d } = c;
  const value = ipv4ToNumber(ip.sql, d);
  const constant = ranges.map((r) => constantString(r));
  if (constant.every((r): r is string => r !== undefined)) {
    const parsed = constant.map(ipv4Range);
    if (parsed.some((r) => r === undefined)) return d.typedNull('bool');
    // ipv4ToNumber is NULL for a non-IPv4 input, so the result is NULL there (Kusto), not false.
    return `(${parsed.map((r) => `(${value} BETWEEN ${r?.low} AND ${r?.high})`).join(' OR ')})`;
  }
  const numbers = ranges.map((r) => ipv4ToNumber(r.sql, d));
  const tests = ranges.map((r, i) => {
    const bits = `(32 - ${ipv4PrefixLength(r.sql, d)})`;
    return `(${d.shiftRight(value, bits)} = ${d.shiftRight(numbers[i] ?? '', bits)})`;
  });
  const unparsed = [value, ...numbers].map((n) => `${n} IS NULL`).join(' OR ');
  return `CASE WHEN ${unparsed} THEN NULL ELSE (${tests.join(' OR ')}) END`;
}

const UNIT_NAMES: Readonly<Record<string, string>> = {
  year: 'year', quarter: 'quarter', month: 'month', week: 'week', day: 'day', hour: 'hour', minute: 'minute',
  second: 'second', millisecond: 'millisecond', microsecond: 'microsecond',
};

function unitOf(a: Arg | undefined, c: TemplateContext): string {
  const name = constantString(a)?.toLowerCase();
  const unit = name ? UNIT_NAMES[name] : undefined;
  if (!unit) return c.unsupported(`datetime unit ${name ?? '(non-constant)'}`);
  return unit;
}

/**
 * `bin(value, size)`: rounded down to a multiple of size. A null value or size, or a size that is not positive,
 * gives null (bin-function docs). A constant size is checked here, so the SQL of the common `bin(t, 1h)` stays plain.
 */
function binSql(value: Arg, size: Arg, c: TemplateContext): string {
  const { d } = c;
  const sizeValue = constantNumber(size);
  if (size.e.k === 'lit' && (sizeValue === undefined || sizeValue <= 0)) return d.typedNull(c.type);
  const sizeSql = sizeValue === undefined ? size.sql : String(sizeValue);
  const integralSize = sizeValue === undefined ? isInteger(size.e.type) || size.e.type === 'timespan' : Number.isInteger(sizeValue);
  // The size is a signed 64-bit value: ClickHouse would make Int64 % UInt64 unsigned and wrap negative times.
  const floorTo = (x: string): string => {
    const s = d.cast(sizeSql, 'long');
    return `(${x} - (((${x} % ${s}) + ${s}) % ${s}))`;
  };
  const real = (x: string): string => `(floor(${d.cast(x, 'real')} / ${d.cast(sizeSql, 'real')}) * ${d.cast(sizeSql, 'real')})`;
  let binned: string;
  switch (value.e.type) {
    case 'datetime':
      // Bins align to the Unix epoch (§15 Q3), exactly in integer microseconds.
      binned = d.microsToDatetime(floorTo(d.datetimeToMicros(value.sql)));
      break;
    case 'timespan':
      binned = floorTo(value.sql);
      break;
    case 'int':
    case 'long':
      binned = integralSize ? floorTo(d.cast(value.sql, 'long')) : real(value.sql);
      break;
    case 'real':
      binned = real(value.sql);
      break;
    default:
      return c.unsupported(`bin() of a ${value.e.type} value`);
  }
  return sizeValue === undefined ? `CASE WHEN ${size.sql} > 0 THEN ${binned} END` : binned;
}

/** Integer division rounding toward −∞ (for day and week numbers of times before 1970). */
function floorDiv(x: string, n: number, d: Dialect): string {
  return d.intDiv(`(${x} - (((${x} % ${n}) + ${n}) % ${n}))`, String(n));
}

/**
 * `round(x, p)`: half away from zero at p decimal places (p < 0 rounds to tens, hundreds…), the same on both engines
 * (ClickHouse's round() is banker's for floats). Integers stay integers: p ≥ 0 leaves them unchanged. A null p
 * gives null. Scaling by 10^−p uses division, which is exact for the usual p = −1, −2….
 */
function roundSql(x: Arg, precision: Arg | undefined, c: TemplateContext): string {
  const { d } = c;
  const p = precision === undefined ? 0 : constantNumber(precision);
  if (precision?.e.k === 'lit' && p === undefined) return d.typedNull(c.type);
  const pSql = p === undefined ? `(${precision?.sql})` : String(p);
  if (isInteger(x.e.type)) {
    const v = d.cast(x.sql, 'long');
    const scaled = (pow: string): string => `(sign(${v}) * ${d.intDiv(`(abs(${v}) + ${pow} / 2)`, pow)} * ${pow})`;
    if (p !== undefined) return p >= 0 ? v : scaled(String(10 ** -p));
    return `CASE WHEN ${pSql} >= 0 THEN ${v} ELSE ${scaled(d.cast(`pow(10, -${pSql})`, 'long'))} END`;
  }
  const up = (scale: string): string => `(sign(${x.sql}) * floor(abs(${x.sql}) * ${scale} + 0.5) / ${scale})`;
  const down = (scale: string): string => `(sign(${x.sql}) * floor(abs(${x.sql}) / ${scale} + 0.5) * ${scale})`;
  if (p !== undefined) return p >= 0 ? up(String(10 ** p)) : down(String(10 ** -p));
  return `CASE WHEN ${pSql} >= 0 THEN ${up(`pow(10, ${pSql})`)} ELSE ${down(`pow(10, -${pSql})`)} END`;
}

function coalesceSql(args: readonly Arg[], c: TemplateContext): string {
  if (c.type === 'string') {
    // Kusto: the first non-empty string ("" counts as absent).
    const whens = args.slice(0, -1).map((a) => `WHEN ${a.sql} <> '' THEN ${a.sql}`).join(' ');
    const last = args[args.length - 1]?.sql ?? "''";
    return whens ? `CASE ${whens} ELSE ${last} END` : last;
  }
  return `coalesce(${args.map((a) => c.d.cast(a.sql, c.type)).join(', ')})`;
}

/** Templates by Kusto function name. */
export const SCALAR_TEMPLATES: Readonly<Record<string, Template>> = {
  isnull: (a, c) => (arg(a, 0, c).e.type === 'string' ? c.d.bool(false) : `(${arg(a, 0, c).sql} IS NULL)`),
  isnotnull: (a, c) => (arg(a, 0, c).e.type === 'string' ? c.d.bool(true) : `(${arg(a, 0, c).sql} IS NOT NULL)`),
  isempty: (a, c) => (arg(a, 0, c).e.type === 'string' ? `(${arg(a, 0, c).sql} = '')` : `(${arg(a, 0, c).sql} IS NULL)`),
  isnotempty: (a, c) => (arg(a, 0, c).e.type === 'string' ? `(${arg(a, 0, c).sql} <> '')` : `(${arg(a, 0, c).sql} IS NOT NULL)`),
  coalesce: coalesceSql,

  tostring: (a, c) => toStringSql(arg(a, 0, c), c),
  toint: (a, c) => toIntegerSql(arg(a, 0, c), 'int', c),
  tolong: (a, c) => toIntegerSql(arg(a, 0, c), 'long', c),
  toreal: (a, c) => toRealSql(arg(a, 0, c), c),
  todouble: (a, c) => toRealSql(arg(a, 0, c), c),
  todatetime: (a, c) => todatetimeSql(arg(a, 0, c), c),
  tobool: (a, c) => toBoolSql(arg(a, 0, c), c),
  toboolean: (a, c) => toBoolSql(arg(a, 0, c), c),

  strcat: (a, c) => (a.length === 0 ? "''" : `(${a.map((x) => toStringSql(x, c)).join(' || ')})`),
  strlen: (a, c) => c.d.cast(c.d.length(arg(a, 0, c).sql), 'long'),
  substring: (a, c) => {
    const s = arg(a, 0, c);
    const start = arg(a, 1, c);
    const length = a[2];
    // 0-based start; a negative start counts from the end ("123456", -2 → "56"); a negative length is 0.
    const start1 = `(CASE WHEN ${start.sql} < 0 THEN greatest(${c.d.length(s.sql)} + ${start.sql}, 0) ELSE ${start.sql} END + 1)`;
    return `coalesce(${c.d.substring(s.sql, start1, length ? `greatest(${length.sql}, 0)` : undefined)}, '')`;
  },
  tolower: (a, c) => c.d.lower(arg(a, 0, c).sql),
  toupper: (a, c) => c.d.upper(arg(a, 0, c).sql),
  trim: (a, c) => {
    const pattern = constantString(arg(a, 0, c));
    if (pattern === undefined) return c.unsupported('trim() with a non-constant regex');
    return c.d.regexReplaceAll(arg(a, 1, c).sql, c.d.string(`^(?:${pattern})+|(?:${pattern})+$`), "''");
  },
  split: (a, c) => {
    const parts = c.d.splitToJson(arg(a, 0, c).sql, arg(a, 1, c).sql);
    const index = a[2];
    if (!index) return parts;
    // With a requested index: an array holding that part, or an empty array when there is none (a negative index
    // names no part: the docs define a zero-based index).
    const element = c.d.jsonElementAt(parts, index.sql);
    return c.d.cast(`CASE WHEN ${index.sql} >= 0 AND ${element} IS NOT NULL THEN '[' || ${c.d.dynamicText(element)} || ']' ELSE '[]' END`, 'dynamic');
  },
  replace_string: (a, c) => c.d.replaceAll(arg(a, 0, c).sql, arg(a, 1, c).sql, arg(a, 2, c).sql),
  extract: (a, c) => {
    const pattern = arg(a, 0, c);
    const group = constantNumber(arg(a, 1, c));
    if (group === undefined || !Number.isInteger(group) || group < 0) return c.unsupported('extract() with a non-constant capture group');
    const text = arg(a, 2, c);
    const extracted = c.d.regexExtract(text.sql, pattern.sql, String(group));
    const target = a[3] ? constantString(a[3]) : 'string';
    if (target === 'string') return `coalesce(${extracted}, '')`;
    // typeof(T): the matched text converted like toint()/toreal()/… would; no match (or a failed conversion) is null.
    const matched = `CASE WHEN ${c.d.regexMatch(text.sql, pattern.sql)} THEN ${extracted} END`;
    const asString: Arg = { sql: matched, e: { k: 'col', name: '', type: 'string' } };
    switch (target) {
      case 'int':
      case 'long':
        return toIntegerSql(asString, target, c);
      case 'real':
        return toRealSql(asString, c);
      case 'bool':
        return toBoolSql(asString, c);
      case 'datetime':
        return todatetimeSql(asString, c);
      default:
        return c.unsupported(`extract() converting to ${target ?? 'an unknown type'}`);
    }
  },

  bin: (a, c) => binSql(arg(a, 0, c), arg(a, 1, c), c),
  floor: (a, c) => binSql(arg(a, 0, c), arg(a, 1, c), c),
  startofday: (a, c) => {
    const day = binSql(arg(a, 0, c), { sql: String(MICROS.day), e: { k: 'lit', type: 'timespan', value: MICROS.day } }, c);
    // startofday(d, offset): the start of the day `offset` days away.
    const offset = a[1];
    return offset ? c.d.addUnits('day', offset.sql, day) : day;
  },
  datetime_add: (a, c) => c.d.addUnits(unitOf(a[0], c), arg(a, 1, c).sql, arg(a, 2, c).sql),
  datetime_diff: (a, c) => {
    const unit = unitOf(a[0], c);
    const later = arg(a, 1, c).sql;
    const earlier = arg(a, 2, c).sql;
    if (unit !== 'week') return c.d.cast(c.d.diffUnits(unit, later, earlier), 'long');
    // Kusto's weeks start on Sunday: count the Sundays crossed. Day 0 (1970-01-01) was a Thursday, so the week
    // holding day n is floor((n + 4) / 7).
    const week = (t: string): string => floorDiv(`${floorDiv(c.d.datetimeToMicros(t), MICROS.day, c.d)} + 4`, 7, c.d);
    return c.d.cast(`(${week(later)} - ${week(earlier)})`, 'long');
  },

  // Cast back: ClickHouse's abs() of a signed integer is unsigned, which would make later arithmetic wrap.
  abs: (a, c) => c.d.cast(`abs(${c.d.cast(arg(a, 0, c).sql, c.type)})`, c.type),
  round: (a, c) => roundSql(arg(a, 0, c), a[1], c),
  ceiling: (a, c) => (isInteger(arg(a, 0, c).e.type) ? arg(a, 0, c).sql : `ceil(${arg(a, 0, c).sql})`),
  sqrt: (a, c) => `CASE WHEN ${arg(a, 0, c).sql} >= 0 THEN sqrt(${arg(a, 0, c).sql}) END`,
  pow: (a, c) => `pow(${c.d.cast(arg(a, 0, c).sql, 'real')}, ${arg(a, 1, c).sql})`,
  log: (a, c) => `CASE WHEN ${arg(a, 0, c).sql} > 0 THEN ln(${arg(a, 0, c).sql}) END`,
  exp: (a, c) => `exp(${c.d.cast(arg(a, 0, c).sql, 'real')})`,

  ipv4_is_private: (a, c) => {
    // The private pattern matches only valid IPv4, so it decides alone where null (not IPv4) counts as false; elsewhere
    // the validity test runs only for the addresses that are not private (one regex per private address, not two).
    const ip = arg(a, 0, c);
    const isPrivate = c.d.regexMatch(ip.sql, c.d.string(IPV4_PRIVATE_PATTERN));
    if (c.truth) return isPrivate;
    return `CASE WHEN ${isPrivate} THEN true WHEN ${c.d.regexMatch(ip.sql, c.d.string(IPV4_PATTERN))} THEN false END`;
  },
  ipv4_is_in_range: (a, c) => ipv4InRanges(arg(a, 0, c), [arg(a, 1, c)], c),
  ipv4_is_in_any_range: (a, c) => {
    const ranges = rangeArguments(a.slice(1), c);
    // No ranges at all (an empty array): nothing can contain the address.
    if (ranges.length === 0) return `CASE WHEN ${ipv4ToNumber(arg(a, 0, c).sql, c.d)} IS NOT NULL THEN false END`;
    return ipv4InRanges(arg(a, 0, c), ranges, c);
  },
  ipv4_is_match: (a, c) => {
    const { d } = c;
    const x = arg(a, 0, c);
    const y = arg(a, 1, c);
    const prefix = a[2];
    // The first `bits` bits must match: the smallest of the prefix argument (default 32) and each side's own /n.
    // A prefix outside 0–32 (or null) gives null, like an address that is not IPv4.
    const requested = prefix ? prefix.sql : '32';
    const effective = `least(${requested}, ${ipv4PrefixLength(x.sql, d)}, ${ipv4PrefixLength(y.sql, d)})`;
    const shift = `(32 - ${effective})`;
    const test = `(${d.shiftRight(ipv4ToNumber(x.sql, d), shift)} = ${d.shiftRight(ipv4ToNumber(y.sql, d), shift)})`;
    return prefix ? `CASE WHEN ${requested} BETWEEN 0 AND 32 THEN ${test} END` : test;
  },
  array_length: (a, c) => c.d.jsonArrayLength(arg(a, 0, c).sql),
};

/**
 * A conversion of a dynamic value: a JSON number, string or bool converts as the scalar of that type would
 * (`toint(dynamic(101))` = `toint(101)`, `toint(dynamic("101"))` = `toint("101")`); null, arrays and bags give null.
 */
function fromDynamic(x: Arg, c: TemplateContext, convert: (scalar: Arg) => string, kinds: ReadonlyArray<'integer' | 'real' | 'string' | 'bool'>): string {
  const { d } = c;
  const text = d.jsonToString(x.sql);
  const as = (type: ScalarType, sql: string): Arg => ({ sql, e: { k: 'col', name: '', type } });
  const branch: Record<'integer' | 'real' | 'string' | 'bool', () => string> = {
    integer: () => convert(as('long', d.tryCast(text, 'long'))),
    real: () => convert(as('real', d.tryCast(text, 'real'))),
    string: () => convert(as('string', text)),
    bool: () => convert(as('bool', `(${text} = 'true')`)),
  };
  const whens = kinds.map((k) => `WHEN ${d.string(k)} THEN ${branch[k]()}`).join(' ');
  return d.cast(`CASE ${d.jsonKind(x.sql)} ${whens} END`, c.type);
}

function todatetimeSql(x: Arg, c: TemplateContext): string {
  if (x.e.type === 'datetime') return x.sql;
  if (x.e.type === 'dynamic') return fromDynamic(x, c, (v) => todatetimeSql(v, c), ['string']);
  if (x.e.type !== 'string') return c.unsupported(`todatetime() of a ${x.e.type} value`);
  const iso = `^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,7})?)?)?Z?$`;
  const cleaned = c.d.regexReplaceAll(c.d.regexReplaceAll(x.sql, c.d.string('Z$'), "''"), c.d.string('T'), "' '");
  return `CASE WHEN ${c.d.regexMatch(x.sql, c.d.string(iso))} THEN ${c.d.tryCast(cleaned, 'datetime')} END`;
}

function toIntegerSql(x: Arg, type: 'int' | 'long', c: TemplateContext): string {
  const { d } = c;
  switch (x.e.type) {
    case 'dynamic':
      return fromDynamic(x, c, (v) => toIntegerSql(v, type, c), ['integer', 'real', 'string', 'bool']);
    case 'int':
    case 'long':
      return d.cast(x.sql, type);
    case 'real':
      return d.tryCast(`trunc(${x.sql})`, type);
    case 'bool':
      return `CASE WHEN ${x.sql} THEN 1 WHEN NOT ${x.sql} THEN 0 END`;
    case 'string':
      // Only integer text converts: "3.14" → null (§15 Q7), unlike a plain SQL cast.
      return `CASE WHEN ${d.regexMatch(x.sql, d.string('^[+-]?[0-9]+$'))} THEN ${d.tryCast(x.sql, type)} END`;
    case 'datetime':
      return c.unsupported(`to${type}() of a datetime`);
    default:
      return c.unsupported(`to${type}() of a ${x.e.type} value`);
  }
}

function toRealSql(x: Arg, c: TemplateContext): string {
  const { d } = c;
  switch (x.e.type) {
    case 'dynamic':
      return fromDynamic(x, c, (v) => toRealSql(v, c), ['integer', 'real', 'string', 'bool']);
    case 'bool':
      return `CASE WHEN ${x.sql} THEN 1.0 WHEN NOT ${x.sql} THEN 0.0 END`;
    case 'int':
    case 'long':
    case 'real':
      return d.cast(x.sql, 'real');
    case 'string':
      return `CASE WHEN ${d.regexMatch(x.sql, d.string('^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$'))} THEN ${d.tryCast(x.sql, 'real')} END`;
    default:
      return c.unsupported(`toreal() of a ${x.e.type} value`);
  }
}

function toBoolSql(x: Arg, c: TemplateContext): string {
  const { d } = c;
  switch (x.e.type) {
    case 'dynamic':
      return fromDynamic(x, c, (v) => toBoolSql(v, c), ['integer', 'real', 'string', 'bool']);
    case 'bool':
      return x.sql;
    case 'int':
    case 'long':
    case 'real':
      return `(${x.sql} <> 0)`;
    case 'string':
      return `CASE WHEN ${d.lower(x.sql)} = 'true' THEN true WHEN ${d.lower(x.sql)} = 'false' THEN false END`;
    default:
      return c.unsupported(`tobool() of a ${x.e.type} value`);
  }
}

export { termMatch, constantTerms, constantString };
