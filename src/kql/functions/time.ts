/**
 * Time: `now()`/`ago()` (one fixed instant per query, folded to literals so the engines can prune on them),
 * `bin`/`floor` (aligned to the Unix epoch, exact in integer microseconds), `startofday`, `datetime_add`,
 * `datetime_diff`.
 */
import { call, lit, type Expr } from '../ir.js';
import { MICROS, isInteger } from '../types.js';
import type { Dialect } from '../sql/dialect.js';
import { arg, constantNumber, constantString, type Arg, type SqlContext } from '../sql/template.js';
import { scalar, type ScalarFunction } from './types.js';

/**
 * Folds datetime/timespan arithmetic on constants (`ago(14d)` → the instant), so time bounds reach SQL as plain
 * literals the engines can prune with, and the ASIM bounds need no null test.
 */
export function foldTime(e: Expr): Expr {
  if (e.k !== 'call' || (e.fn !== 'add' && e.fn !== 'sub') || (e.type !== 'datetime' && e.type !== 'timespan')) return e;
  const [a, b] = e.args;
  if (a?.k !== 'lit' || b?.k !== 'lit' || typeof a.value !== 'number' || typeof b.value !== 'number') return e;
  if (a.type === 'datetime' && b.type === 'datetime') return e;
  return lit(e.fn === 'add' ? a.value + b.value : a.value - b.value, e.type);
}

const UNIT_NAMES: Readonly<Record<string, string>> = {
  year: 'year', quarter: 'quarter', month: 'month', week: 'week', day: 'day', hour: 'hour', minute: 'minute',
  second: 'second', millisecond: 'millisecond', microsecond: 'microsecond',
};

function unitOf(a: Arg | undefined, c: SqlContext): string {
  const name = constantString(a)?.toLowerCase();
  const unit = name ? UNIT_NAMES[name] : undefined;
  if (!unit) return c.unsupported(`datetime unit ${name ?? '(non-constant)'}`);
  return unit;
}

/**
 * `bin(value, size)`: rounded down to a multiple of size. A null value or size, or a size that is not positive,
 * gives null (bin-function docs). A constant size is checked here, so the SQL of the common `bin(t, 1h)` stays plain.
 */
export function binSql(value: Arg, size: Arg, c: SqlContext): string {
  const { d } = c;
  const sizeValue = constantNumber(size);
  if (size.e.k === 'lit' && (sizeValue === undefined || sizeValue <= 0)) return d.typedNull(c.type);
  const sizeSql = sizeValue === undefined ? size.sql : String(sizeValue);
  const integralSize = sizeValue === undefined ? isInteger(size.e.type) || size.e.type === 'timespan' : Number.isInteger(sizeValue);
  // The size is a signed 64-bit value: ClickHouse would make Int64 % UInt64 unsigned and wrap negative times.
  const floorTo = (x: string): string => {
    // A computed size is at least 1 here (the result is null otherwise, below): engines that evaluate both branches
    // of the CASE must not divide by zero.
    const s = sizeValue === undefined ? `greatest(${d.cast(sizeSql, 'long')}, 1)` : d.cast(sizeSql, 'long');
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

/**
 * `bin_at(value, size, fixed_point)`: the bin of `size` holding `value`, bins aligned so that one starts at
 * `fixed_point` (bin-at-function). Null or non-positive sizes give null, as for bin().
 */
function binAtSql(value: Arg, size: Arg, fixed: Arg, c: SqlContext): string {
  const { d } = c;
  const sizeValue = constantNumber(size);
  if (size.e.k === 'lit' && (sizeValue === undefined || sizeValue <= 0)) return d.typedNull(c.type);
  const integral = value.e.type !== 'real' && size.e.type !== 'real' && fixed.e.type !== 'real';
  const units = (a: Arg): string => (a.e.type === 'datetime' ? d.datetimeToMicros(a.sql) : a.sql);
  const [x, s, f] = integral ? [value, size, fixed].map((a) => d.cast(units(a), 'long')) : [value, size, fixed].map((a) => d.cast(units(a), 'real'));
  const binned = integral
    ? `(${x} - ((((${x} - ${f}) % ${s}) + ${s}) % ${s}))`
    : `(${f} + floor((${x} - ${f}) / ${s}) * ${s})`;
  const typed = value.e.type === 'datetime' ? d.microsToDatetime(binned) : binned;
  return sizeValue === undefined ? `CASE WHEN ${size.sql} > 0 THEN ${typed} END` : typed;
}

/** Integer division rounding toward −∞ (for day and week numbers of times before 1970). */
export function floorDiv(x: string, n: number, d: Dialect): string {
  // A typed divisor: an old ClickHouse takes 3600000000 as UInt32 and gets Int64 % UInt32 wrong.
  const m = d.cast(String(n), 'long');
  return d.intDiv(`(${x} - (((${x} % ${m}) + ${m}) % ${m}))`, String(n));
}

const DAY: Arg = { sql: String(MICROS.day), e: lit(MICROS.day, 'timespan') };

/** Format specifiers of format_datetime, longest first (format-datetime-function). */
const FORMAT_ELEMENTS = [
  'fffffff', 'ffffff', 'fffff', 'ffff', 'fff', 'ff', 'f', 'FFFFFFF', 'FFFFFF', 'FFFFF', 'FFFF', 'FFF', 'FF', 'F',
  'yyyy', 'yy', 'y', 'MM', 'M', 'dd', 'd', 'HH', 'H', 'hh', 'h', 'mm', 'm', 'ss', 's', 'tt',
] as const;
const FORMAT_DELIMITERS = new Set([' ', '/', '-', ':', ',', '.', '_', '[', ']']);

/** The format's elements and delimiters, or undefined when it holds anything else. */
export function formatElements(format: string): string[] | undefined {
  const out: string[] = [];
  let rest = format;
  while (rest.length > 0) {
    const element = FORMAT_ELEMENTS.find((e) => rest.startsWith(e));
    if (element) {
      out.push(element);
      rest = rest.slice(element.length);
    } else if (FORMAT_DELIMITERS.has(rest[0] ?? '')) {
      out.push(rest[0] ?? '');
      rest = rest.slice(1);
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * format_datetime(date, format) with a constant format: each element from the datetime's `yyyy-MM-ddTHH:mm:ss`
 * text and its microseconds (the seventh fraction digit is always 0: datetimes are microseconds here). A null date
 * gives "".
 */
function formatDatetimeSql(date: Arg, format: Arg | undefined, c: SqlContext): string {
  const { d } = c;
  const text = constantString(format);
  const elements = text === undefined ? undefined : formatElements(text);
  if (!elements) return c.unsupported(text === undefined ? 'format_datetime with a computed format' : `format_datetime format '${text}'`);
  const t = '__ft';
  const part = (start: number, length: number): string => d.substring(t, String(start), String(length));
  const unpadded = (sql: string): string => d.integerToString(d.cast(sql, 'long'));
  const fraction = `${d.zeroPad(`((${d.datetimeToMicros(date.sql)} % 1000000 + 1000000) % 1000000)`, 6)} || '0'`;
  const hour12 = `(((${d.cast(part(12, 2), 'long')} + 11) % 12) + 1)`;
  const sql = (e: string): string => {
    switch (e) {
      case 'yyyy': return part(1, 4);
      case 'yy': return part(3, 2);
      case 'y': return unpadded(part(3, 2));
      case 'MM': return part(6, 2);
      case 'M': return unpadded(part(6, 2));
      case 'dd': return part(9, 2);
      case 'd': return unpadded(part(9, 2));
      case 'HH': return part(12, 2);
      case 'H': return unpadded(part(12, 2));
      case 'hh': return d.zeroPad(hour12, 2);
      case 'h': return d.integerToString(hour12);
      case 'mm': return part(15, 2);
      case 'm': return unpadded(part(15, 2));
      case 'ss': return part(18, 2);
      case 's': return unpadded(part(18, 2));
      case 'tt': return `CASE WHEN ${d.cast(part(12, 2), 'long')} < 12 THEN 'AM' ELSE 'PM' END`;
      default:
        if (e.startsWith('f')) return d.substring(`(${fraction})`, '1', String(e.length));
        if (e.startsWith('F')) return d.regexReplaceAll(d.substring(`(${fraction})`, '1', String(e.length)), d.string('0+$'), "''");
        return d.string(e);
    }
  };
  return `CASE WHEN ${date.sql} IS NULL THEN '' ELSE ${d.bind(d.datetimeSecondsText(date.sql), t, elements.map(sql).join(' || '))} END`;
}

export const TIME_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({
    name: 'hourofday',
    sql: (a, c) => c.d.cast(`((${floorDiv(c.d.datetimeToMicros(arg(a, 0, c).sql), MICROS.hour, c.d)} % 24 + 24) % 24)`, 'int'),
  }),
  scalar({
    // Days since the preceding Sunday, as a timespan; day 0 (1970-01-01) was a Thursday.
    name: 'dayofweek',
    sql: (a, c) => `((((${floorDiv(c.d.datetimeToMicros(arg(a, 0, c).sql), MICROS.day, c.d)} + 4) % 7) + 7) % 7) * ${MICROS.day}`,
  }),
  scalar({ name: 'format_datetime', sql: (a, c) => formatDatetimeSql(arg(a, 0, c), a[1], c) }),
  scalar({
    name: 'now',
    build: (site) => {
      const [offset] = site.args();
      const now = lit(site.now, 'datetime');
      return offset ? foldTime(call('add', 'datetime', now, offset)) : now;
    },
  }),
  scalar({ name: 'ago', build: (site) => foldTime(call('sub', 'datetime', lit(site.now, 'datetime'), ...site.args())) }),
  scalar({ name: 'bin', aliases: ['floor'], sql: (a, c) => binSql(arg(a, 0, c), arg(a, 1, c), c) }),
  scalar({ name: 'bin_at', sql: (a, c) => binAtSql(arg(a, 0, c), arg(a, 1, c), arg(a, 2, c), c) }),
  scalar({
    name: 'startofday',
    sql: (a, c) => {
      const day = binSql(arg(a, 0, c), DAY, c);
      // startofday(d, offset): the start of the day `offset` days away.
      const offset = a[1];
      return offset ? c.d.addUnits('day', offset.sql, day) : day;
    },
  }),
  scalar({ name: 'datetime_add', sql: (a, c) => c.d.addUnits(unitOf(a[0], c), arg(a, 1, c).sql, arg(a, 2, c).sql) }),
  scalar({
    name: 'datetime_diff',
    sql: (a, c) => {
      const unit = unitOf(a[0], c);
      const later = arg(a, 1, c).sql;
      const earlier = arg(a, 2, c).sql;
      if (unit !== 'week') return c.d.cast(c.d.diffUnits(unit, later, earlier), 'long');
      // Kusto's weeks start on Sunday: count the Sundays crossed. Day 0 (1970-01-01) was a Thursday, so the week
      // holding day n is floor((n + 4) / 7).
      const week = (t: string): string => floorDiv(`${floorDiv(c.d.datetimeToMicros(t), MICROS.day, c.d)} + 4`, 7, c.d);
      return c.d.cast(`(${week(later)} - ${week(earlier)})`, 'long');
    },
  }),
];
