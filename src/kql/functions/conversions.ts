/**
 * Conversions: tostring and the to<type> functions, with Kusto's text forms and null rules (docs/kql.md,
 * "Semantics decisions"): `tostring(null)` is "", `toint("3.14")` is null, dynamic values convert as the scalar
 * they hold.
 */
import { parseTimespan } from '../timespan.js';
import { lit } from '../ir.js';
import { MICROS, type ScalarType } from '../types.js';
import type { Dialect } from '../sql/dialect.js';
import { arg, sqlArg, type Arg, type SqlContext } from '../sql/template.js';
import { operator, scalar, type ScalarFunction } from './types.js';

/** Kusto `tostring()` of any type. `tostring(null)` is "". */
export function toStringSql(a: Arg, c: SqlContext): string {
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

/**
 * A conversion of a dynamic value: a JSON number, string or bool converts as the scalar of that type would
 * (`toint(dynamic(101))` = `toint(101)`, `toint(dynamic("101"))` = `toint("101")`); null, arrays and bags give null.
 */
function fromDynamic(x: Arg, c: SqlContext, convert: (scalar: Arg) => string, kinds: ReadonlyArray<'integer' | 'real' | 'string' | 'bool'>): string {
  const { d } = c;
  const text = d.jsonToString(x.sql);
  const branch: Record<'integer' | 'real' | 'string' | 'bool', () => string> = {
    integer: () => convert(sqlArg(d.tryCast(text, 'long'), 'long')),
    real: () => convert(sqlArg(d.tryCast(text, 'real'), 'real')),
    string: () => convert(sqlArg(text, 'string')),
    bool: () => convert(sqlArg(`(${text} = 'true')`, 'bool')),
  };
  const whens = kinds.map((k) => `WHEN ${d.string(k)} THEN ${branch[k]()}`).join(' ');
  return d.cast(`CASE ${d.jsonKind(x.sql)} ${whens} END`, c.type);
}

export function todatetimeSql(x: Arg, c: SqlContext): string {
  if (x.e.type === 'datetime') return x.sql;
  if (x.e.type === 'dynamic') return fromDynamic(x, c, (v) => todatetimeSql(v, c), ['string']);
  if (x.e.type !== 'string') return c.unsupported(`todatetime() of a ${x.e.type} value`);
  const iso = `^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,7})?)?)?Z?$`;
  const cleaned = c.d.regexReplaceAll(c.d.regexReplaceAll(x.sql, c.d.string('Z$'), "''"), c.d.string('T'), "' '");
  return `CASE WHEN ${c.d.regexMatch(x.sql, c.d.string(iso))} THEN ${c.d.tryCast(cleaned, 'datetime')} END`;
}

export function toIntegerSql(x: Arg, type: 'int' | 'long', c: SqlContext): string {
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

export function toRealSql(x: Arg, c: SqlContext): string {
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

export function toBoolSql(x: Arg, c: SqlContext): string {
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
      return `CASE WHEN ${d.lower(x.sql)} = 'true' THEN ${d.bool(true)} WHEN ${d.lower(x.sql)} = 'false' THEN ${d.bool(false)} END`;
    default:
      return c.unsupported(`tobool() of a ${x.e.type} value`);
  }
}

/** A conversion to `type` of an argument of any type, as the to<type> function would convert it. */
export function convertSql(x: Arg, type: ScalarType, c: SqlContext): string {
  switch (type) {
    case 'string':
      return toStringSql(x, c);
    case 'int':
    case 'long':
      return toIntegerSql(x, type, c);
    case 'real':
      return toRealSql(x, c);
    case 'bool':
      return toBoolSql(x, c);
    case 'datetime':
      return todatetimeSql(x, c);
    default:
      return c.unsupported(`a conversion to ${type}`);
  }
}

/**
 * A dynamic value as type T without conversion (mv-expand … to typeof(T); docs: "cast-only … elements that don't
 * conform become null"): a JSON integer as int/long (or real), any JSON number as real, a JSON bool as bool, a JSON
 * string as string, datetime (ISO text, as dynamic values hold datetimes) or guid. Anything else is null ("" for
 * strings, which are never null).
 */
export function castDynamicSql(x: Arg, c: SqlContext): string {
  switch (c.type) {
    case 'int':
    case 'long':
      return fromDynamic(x, c, (v) => toIntegerSql(v, c.type as 'int' | 'long', c), ['integer']);
    case 'real':
      return fromDynamic(x, c, (v) => toRealSql(v, c), ['integer', 'real']);
    case 'bool':
      return fromDynamic(x, c, (v) => toBoolSql(v, c), ['bool']);
    case 'string':
      return `CASE WHEN ${c.d.jsonKind(x.sql)} = 'string' THEN ${c.d.jsonToString(x.sql)} ELSE '' END`;
    case 'datetime':
      return fromDynamic(x, c, (v) => todatetimeSql(v, c), ['string']);
    case 'guid': {
      const guid = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
      return fromDynamic(x, c, (v) => `CASE WHEN ${c.d.regexMatch(v.sql, c.d.string(guid))} THEN ${c.d.lower(v.sql)} END`, ['string']);
    }
    case 'dynamic':
      return x.sql;
    default:
      return c.unsupported(`a dynamic value as ${c.type}`);
  }
}

export const CONVERSION_FUNCTIONS: readonly ScalarFunction[] = [
  operator({ name: 'dynamic_as', sql: (a, c) => castDynamicSql(arg(a, 0, c), c) }),
  scalar({ name: 'tostring', sql: (a, c) => toStringSql(arg(a, 0, c), c) }),
  scalar({ name: 'toint', sql: (a, c) => toIntegerSql(arg(a, 0, c), 'int', c) }),
  scalar({ name: 'tolong', sql: (a, c) => toIntegerSql(arg(a, 0, c), 'long', c) }),
  scalar({ name: 'toreal', aliases: ['todouble'], sql: (a, c) => toRealSql(arg(a, 0, c), c) }),
  scalar({ name: 'todatetime', sql: (a, c) => todatetimeSql(arg(a, 0, c), c) }),
  scalar({ name: 'tobool', aliases: ['toboolean'], sql: (a, c) => toBoolSql(arg(a, 0, c), c) }),
  scalar({
    name: 'totimespan',
    aliases: ['timespan', 'time'],
    // Only constants: a timespan's text forms are parsed here (timespan.ts); computed text is refused.
    build: (site) => {
      const [value] = site.args();
      if (value?.k === 'lit' && typeof value.value === 'string') {
        const micros = parseTimespan(`time(${value.value})`);
        if (micros !== undefined) return lit(micros, 'timespan');
      }
      if (value?.type === 'timespan') return value;
      return site.unsupported(`${site.name} of a non-constant value`);
    },
  }),
];
