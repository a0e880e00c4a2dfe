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
    default:
      // Kusto's text forms of real, datetime and timespan values are not reproduced yet (§15 Q7).
      return c.unsupported(`tostring() of a ${a.e.type} value`);
  }
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

function ipv4InRanges(ip: Arg, ranges: readonly string[], c: TemplateContext): string {
  const value = ipv4ToNumber(ip.sql, c.d);
  const tests = ranges.map((r) => {
    const range = ipv4Range(r);
    if (!range) return c.unsupported(`IPv4 range '${r}' (expected a.b.c.d or a.b.c.d/n)`);
    return `(${value} BETWEEN ${range.low} AND ${range.high})`;
  });
  // ipv4ToNumber is NULL for a non-IPv4 input, so the result is NULL there (Kusto), not false.
  return `(${tests.join(' OR ')})`;
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

function binSql(value: Arg, size: Arg, c: TemplateContext): string {
  const { d } = c;
  const sizeValue = constantNumber(size);
  if (sizeValue === undefined || sizeValue <= 0) return c.unsupported('bin() with a non-constant or non-positive size');
  // The size is a signed 64-bit value: ClickHouse would make Int64 % UInt64 unsigned and wrap negative times.
  const floorTo = (x: string, s: number): string => {
    const size = d.cast(String(s), 'long');
    return `(${x} - (((${x} % ${size}) + ${size}) % ${size}))`;
  };
  switch (value.e.type) {
    case 'datetime':
      // Bins align to the Unix epoch (§15 Q3), exactly in integer microseconds.
      return d.microsToDatetime(floorTo(d.datetimeToMicros(value.sql), sizeValue));
    case 'timespan':
      return floorTo(value.sql, sizeValue);
    case 'int':
    case 'long':
      if (!Number.isInteger(sizeValue)) return `(floor(${value.sql} / ${sizeValue}) * ${sizeValue})`;
      return floorTo(d.cast(value.sql, 'long'), sizeValue);
    case 'real':
      return `(floor(${value.sql} / ${sizeValue}) * ${sizeValue})`;
    default:
      return c.unsupported(`bin() of a ${value.e.type} value`);
  }
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
  todatetime: (a, c) => {
    const x = arg(a, 0, c);
    if (x.e.type === 'datetime') return x.sql;
    if (x.e.type !== 'string') return c.unsupported(`todatetime() of a ${x.e.type} value`);
    const iso = `^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,7})?)?)?Z?$`;
    const cleaned = c.d.regexReplaceAll(c.d.regexReplaceAll(x.sql, c.d.string('Z$'), "''"), c.d.string('T'), "' '");
    return `CASE WHEN ${c.d.regexMatch(x.sql, c.d.string(iso))} THEN ${c.d.tryCast(cleaned, 'datetime')} END`;
  },
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
    if (a.length > 2) return c.unsupported('split() with a requested index');
    return c.d.splitToJson(arg(a, 0, c).sql, arg(a, 1, c).sql);
  },
  replace_string: (a, c) => c.d.replaceAll(arg(a, 0, c).sql, arg(a, 1, c).sql, arg(a, 2, c).sql),
  extract: (a, c) => {
    if (a.length > 3) return c.unsupported('extract() with a type argument');
    const pattern = arg(a, 0, c);
    const group = constantNumber(arg(a, 1, c));
    if (group === undefined || !Number.isInteger(group) || group < 0) return c.unsupported('extract() with a non-constant capture group');
    return `coalesce(${c.d.regexExtract(arg(a, 2, c).sql, pattern.sql, String(group))}, '')`;
  },

  bin: (a, c) => binSql(arg(a, 0, c), arg(a, 1, c), c),
  floor: (a, c) => binSql(arg(a, 0, c), arg(a, 1, c), c),
  startofday: (a, c) => {
    if (a.length > 1) return c.unsupported('startofday() with an offset');
    return binSql(arg(a, 0, c), { sql: String(MICROS.day), e: { k: 'lit', type: 'timespan', value: MICROS.day } }, c);
  },
  datetime_add: (a, c) => c.d.addUnits(unitOf(a[0], c), arg(a, 1, c).sql, arg(a, 2, c).sql),
  datetime_diff: (a, c) => unitOf(a[0], c) === 'week' ? c.unsupported("datetime_diff('week', …) (Kusto weeks start on Sunday)") : c.d.cast(c.d.diffUnits(unitOf(a[0], c), arg(a, 1, c).sql, arg(a, 2, c).sql), 'long'),

  // Cast back: ClickHouse's abs() of a signed integer is unsigned, which would make later arithmetic wrap.
  abs: (a, c) => c.d.cast(`abs(${c.d.cast(arg(a, 0, c).sql, c.type)})`, c.type),
  round: (a, c) => {
    const x = arg(a, 0, c);
    const digits = a[1] ? constantNumber(a[1]) : 0;
    if (digits === undefined || !Number.isInteger(digits)) return c.unsupported('round() with non-constant precision');
    const scale = 10 ** digits;
    // Half away from zero, the same on both engines (ClickHouse's round() is banker's for floats).
    return `(sign(${x.sql}) * floor(abs(${x.sql}) * ${scale} + 0.5) / ${scale})`;
  },
  ceiling: (a, c) => (isInteger(arg(a, 0, c).e.type) ? arg(a, 0, c).sql : `ceil(${arg(a, 0, c).sql})`),
  sqrt: (a, c) => `CASE WHEN ${arg(a, 0, c).sql} >= 0 THEN sqrt(${arg(a, 0, c).sql}) END`,
  pow: (a, c) => `pow(${c.d.cast(arg(a, 0, c).sql, 'real')}, ${arg(a, 1, c).sql})`,
  log: (a, c) => `CASE WHEN ${arg(a, 0, c).sql} > 0 THEN ln(${arg(a, 0, c).sql}) END`,
  exp: (a, c) => `exp(${c.d.cast(arg(a, 0, c).sql, 'real')})`,

  ipv4_is_private: (a, c) => {
    const ip = arg(a, 0, c);
    return `CASE WHEN ${c.d.regexMatch(ip.sql, c.d.string(IPV4_PATTERN))} THEN ${c.d.regexMatch(ip.sql, c.d.string(IPV4_PRIVATE_PATTERN))} END`;
  },
  ipv4_is_in_range: (a, c) => {
    const range = constantString(arg(a, 1, c));
    if (range === undefined) return c.unsupported('ipv4_is_in_range() with a non-constant range');
    return ipv4InRanges(arg(a, 0, c), [range], c);
  },
  ipv4_is_in_any_range: (a, c) => {
    const ranges = a.slice(1).map((r) => constantString(r) ?? c.unsupported('ipv4_is_in_any_range() with non-constant ranges'));
    if (ranges.length === 0) return c.unsupported('ipv4_is_in_any_range() without ranges');
    return ipv4InRanges(arg(a, 0, c), ranges, c);
  },
  ipv4_is_match: (a, c) => {
    const x = arg(a, 0, c);
    const y = arg(a, 1, c);
    const prefix = a[2] ? constantNumber(a[2]) : 32;
    if (prefix === undefined || prefix < 0 || prefix > 32) return c.unsupported('ipv4_is_match() with a non-constant prefix');
    const bits = String(32 - prefix);
    // The address parts must match on the first `prefix` bits; a /n suffix on either address narrows it further.
    const own = (s: string): string =>
      `CASE WHEN ${c.d.regexMatch(s, c.d.string('/'))} THEN least(${prefix}, ${c.d.cast(c.d.regexExtract(s, c.d.string('/([0-9]+)$'), '1'), 'long')}) ELSE ${prefix} END`;
    const effective = `(32 - least(${own(x.sql)}, ${own(y.sql)}))`;
    void bits;
    return `(${c.d.shiftRight(ipv4ToNumber(x.sql, c.d), effective)} = ${c.d.shiftRight(ipv4ToNumber(y.sql, c.d), effective)})`;
  },
  array_length: (a, c) => c.d.jsonArrayLength(arg(a, 0, c).sql),
};

function toIntegerSql(x: Arg, type: 'int' | 'long', c: TemplateContext): string {
  const { d } = c;
  switch (x.e.type) {
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
