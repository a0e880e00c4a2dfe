/**
 * Kusto's operators as IR operators (`and`, `eq`, `has`, `add`, …): the builder writes them for Kusto syntax
 * (`a == b`, `s has "x"`, `x in (…)`); they are not callable by name. Their SQL keeps Kusto's null rules
 * (kusto-semantics.md §3): `==` with one null side is false, `in`/`has`/`contains` are never null, arithmetic is
 * null-propagating, integer division truncates, modulo is never negative.
 *
 * `truth` positions (a WHERE condition, an AND/OR operand there) may give false for null: `a == b` is then plain
 * `a = b`, the shape the engines' optimizers push down.
 */
import type { Expr } from '../ir.js';
import { isInteger } from '../types.js';
import { arg, constantString, type Arg, type SqlContext, type SqlTemplate } from '../sql/template.js';
import { toStringSql } from './conversions.js';
import { computedTermMatch, constantTerms, termMatch } from './terms.js';
import { operator, type ScalarFunction } from './types.js';

/** Whether an expression can be null; `neverNull` says which calls cannot (registry lookup). */
export type NullableTest = (e: Expr) => boolean;

/** The left side of a string operator as a string (Kusto converts with tostring()). */
function asString(a: Arg, c: SqlContext): string {
  return a.e.type === 'string' ? a.sql : toStringSql(a, { ...c, type: 'string' });
}

/** Kusto `==`: one null side → false, both null → null (kusto-semantics.md §3). */
function equality(nullable: NullableTest): SqlTemplate {
  return (args, c) => {
    const a = arg(args, 0, c);
    const b = arg(args, 1, c);
    const plain = `(${a.sql} = ${b.sql})`;
    const aNull = nullable(a.e);
    const bNull = nullable(b.e);
    if (c.truth || (!aNull && !bNull)) return plain;
    if (!aNull || !bNull) return `coalesce(${a.sql} = ${b.sql}, ${c.d.bool(false)})`;
    return `CASE WHEN ${a.sql} IS NULL AND ${b.sql} IS NULL THEN NULL ELSE coalesce(${a.sql} = ${b.sql}, ${c.d.bool(false)}) END`;
  };
}

function comparison(op: string): SqlTemplate {
  return (args, c) => `(${arg(args, 0, c).sql} ${op} ${arg(args, 1, c).sql})`;
}

function logical(op: 'AND' | 'OR'): SqlTemplate {
  return (args, c) => `(${args.map((a) => c.sql(a.e, c.truth)).join(` ${op} `)})`;
}

/** + − × ÷ % on numbers, datetimes and timespans (timespans are microseconds). */
function arithmetic(fn: 'add' | 'sub' | 'mul' | 'div' | 'mod'): SqlTemplate {
  return (args, c) => {
    const { d } = c;
    const a = arg(args, 0, c);
    const b = arg(args, 1, c);
    const [l, r, ta, tb] = [a.sql, b.sql, a.e.type, b.e.type];
    if (ta === 'datetime' || tb === 'datetime') {
      if (fn === 'sub' && ta === 'datetime' && tb === 'datetime') return `(${d.datetimeToMicros(l)} - ${d.datetimeToMicros(r)})`;
      if (fn === 'add' && ta === 'datetime' && tb === 'timespan') return d.addUnits('microsecond', r, l);
      if (fn === 'add' && ta === 'timespan' && tb === 'datetime') return d.addUnits('microsecond', l, r);
      if (fn === 'sub' && ta === 'datetime' && tb === 'timespan') return d.addUnits('microsecond', `-(${r})`, l);
      return c.unsupported(`${fn} of ${ta} and ${tb}`);
    }
    if (ta === 'timespan' || tb === 'timespan') {
      if (fn === 'div' && ta === 'timespan' && tb === 'timespan') return `(${d.cast(l, 'real')} / ${d.cast(r, 'real')})`;
      if ((fn === 'add' || fn === 'sub') && ta === 'timespan' && tb === 'timespan') return `(${d.cast(l, 'long')} ${fn === 'add' ? '+' : '-'} ${d.cast(r, 'long')})`;
      if (fn === 'mul' || fn === 'div') return d.tryCast(`trunc(${d.cast(l, 'real')} ${fn === 'mul' ? '*' : '/'} ${d.cast(r, 'real')})`, 'long');
      return c.unsupported(`${fn} of ${ta} and ${tb}`);
    }
    const type = c.type;
    if (fn === 'div') {
      if (isInteger(type)) return d.cast(d.intDiv(l, r), type);
      return `(${d.cast(l, 'real')} / ${d.cast(r, 'real')})`;
    }
    if (fn === 'mod') {
      if (!isInteger(type)) return c.unsupported('% of real values');
      // Kusto's modulo is never negative: -14 % 12 = 10 and 14 % -12 = 2 (modulo by |divisor|); % 0 is null.
      const lv = d.cast(l, 'long');
      const rv = d.cast(`abs(${d.cast(r, 'long')})`, 'long'); // ClickHouse's abs(Int64) is unsigned
      return d.cast(`CASE WHEN ${rv} = 0 THEN NULL ELSE ((${lv} % ${rv}) + ${rv}) % ${rv} END`, type);
    }
    return `(${d.cast(l, type)} ${{ add: '+', sub: '-', mul: '*' }[fn]} ${d.cast(r, type)})`;
  };
}

function inList(caseInsensitive: boolean, nullable: NullableTest): SqlTemplate {
  return (args, c) => {
    const { d } = c;
    const [left, ...values] = args;
    if (!left) return c.unsupported('in without a left side');
    if (values.length === 0) return d.bool(false);
    const wrap = (s: string): string => (caseInsensitive ? d.lower(s) : s);
    // `x in (T)`: the values of T's first column.
    const list = values.map((v) => (v.e.k === 'subquery' ? c.firstColumn(v.e.rel, wrap) : wrap(v.sql)));
    const test = values.length === 1 && values[0]?.e.k === 'subquery'
      ? `${wrap(left.sql)} IN (${list[0]})`
      : values.some((v) => v.e.k === 'subquery')
        ? `(${values.map((v, i) => `${wrap(left.sql)} IN (${list[i]})`).join(' OR ')})`
        : `${wrap(left.sql)} IN (${list.join(', ')})`;
    // Kusto: a null left side is simply not in the list (false, so `!in` is true).
    return c.truth || !nullable(left.e) ? `(${test})` : `coalesce(${test}, ${c.d.bool(false)})`;
  };
}

function has(fn: 'has' | 'has_cs' | 'hasprefix' | 'hassuffix'): SqlTemplate {
  return (args, c) => {
    const left = arg(args, 0, c);
    const right = arg(args, 1, c);
    const term = constantString(right);
    const edges = fn === 'hasprefix' ? { start: true, end: false } : fn === 'hassuffix' ? { start: false, end: true } : undefined;
    if (term === undefined) return computedTermMatch(asString(left, c), asString(right, c), fn === 'has_cs', c, edges);
    return termMatch(asString(left, c), [term], fn === 'has_cs', c, edges);
  };
}

/**
 * `tostring(<int or long>) has_any ("139", "445")`: the text of an integer is an optional '-' and digits, one
 * term, so the match is exactly "the value is ±139 or ±445" — an IN list the engines can use, instead of a regex
 * per row (kusto-semantics.md §1). Terms that are not canonical digit strings cannot match; terms holding a
 * delimiter (phrases such as "-445") keep the regex.
 */
function integerTermRewrite(left: Expr, terms: readonly string[], c: SqlContext): string | undefined {
  if (left.k !== 'call' || left.fn !== 'tostring') return undefined;
  const [inner] = left.args;
  if (!inner || !isInteger(inner.type)) return undefined;
  if (terms.some((t) => /[^\p{L}\p{N}]/u.test(t))) return undefined;
  const numbers = terms.filter((t) => /^(0|[1-9][0-9]{0,17})$/.test(t)).map(Number).filter(Number.isSafeInteger);
  if (numbers.length === 0) return c.d.bool(false);
  const test = c.d.integerMagnitudeIn(c.sql(inner, false), [...new Set(numbers)]);
  return c.truth ? `(${test})` : `coalesce(${test}, ${c.d.bool(false)})`;
}

function hasAnyAll(fn: 'has_any' | 'has_all'): SqlTemplate {
  return (args, c) => {
    const [left, ...values] = args;
    if (!left) return c.unsupported(`${fn} without a left side`);
    const terms = constantTerms(values, c, fn);
    const rewrite = fn === 'has_any' ? integerTermRewrite(left.e, terms, c) : undefined;
    if (rewrite) return rewrite;
    const text = asString(left, c);
    if (fn === 'has_any') return termMatch(text, terms, false, c);
    if (terms.length === 0) return c.d.bool(true);
    return `(${terms.map((t) => termMatch(text, [t], false, c)).join(' AND ')})`;
  };
}

/** `d.key`, `d["key"]`, `d[i]` with constant or computed keys and indexes (negative indexes count from the end). */
const dynamicGet: SqlTemplate = (args, c) => {
  const target = arg(args, 0, c);
  const key = arg(args, 1, c);
  if (target.e.type !== 'dynamic') return c.unsupported(`member access on a ${target.e.type} value`);
  const k = key.e;
  if (k.k === 'lit' && (typeof k.value === 'string' || (typeof k.value === 'number' && Number.isInteger(k.value)))) {
    return c.d.jsonGet(target.sql, k.value);
  }
  if (isInteger(k.type)) return c.d.jsonElementAt(target.sql, key.sql);
  if (k.type === 'string') return c.d.jsonMemberAt(target.sql, key.sql);
  return c.unsupported(`an index of type ${k.type} into dynamic`);
};

/** The operators; `nullable` tells `==` and `in` which operands can be null. */
export function operatorFunctions(nullable: NullableTest): ScalarFunction[] {
  const stringTest = (name: string, sql: SqlTemplate): ScalarFunction => operator({ name, neverNull: true, sql });
  return [
    operator({ name: 'and', sql: logical('AND') }),
    operator({ name: 'or', sql: logical('OR') }),
    operator({ name: 'eq', sql: equality(nullable) }),
    stringTest('eq_ci', (a, c) => `(${c.d.lower(arg(a, 0, c).sql)} = ${c.d.lower(arg(a, 1, c).sql)})`),
    operator({ name: 'lt', sql: comparison('<') }),
    operator({ name: 'le', sql: comparison('<=') }),
    operator({ name: 'gt', sql: comparison('>') }),
    operator({ name: 'ge', sql: comparison('>=') }),
    operator({ name: 'add', sql: arithmetic('add') }),
    operator({ name: 'sub', sql: arithmetic('sub') }),
    operator({ name: 'mul', sql: arithmetic('mul') }),
    operator({ name: 'div', sql: arithmetic('div') }),
    operator({ name: 'mod', sql: arithmetic('mod') }),
    operator({ name: 'neg', sql: (a, c) => `(-${c.d.cast(arg(a, 0, c).sql, c.type)})` }),
    stringTest('in', inList(false, nullable)),
    stringTest('in_ci', inList(true, nullable)),
    stringTest('has', has('has')),
    stringTest('has_cs', has('has_cs')),
    stringTest('hasprefix', has('hasprefix')),
    stringTest('hassuffix', has('hassuffix')),
    stringTest('has_any', hasAnyAll('has_any')),
    stringTest('has_all', hasAnyAll('has_all')),
    stringTest('contains', (a, c) => c.d.containsCi(arg(a, 0, c).sql, arg(a, 1, c).sql)),
    stringTest('contains_cs', (a, c) => c.d.containsCs(arg(a, 0, c).sql, arg(a, 1, c).sql)),
    stringTest('startswith', (a, c) => c.d.startsWith(c.d.lower(arg(a, 0, c).sql), c.d.lower(arg(a, 1, c).sql))),
    stringTest('startswith_cs', (a, c) => c.d.startsWith(arg(a, 0, c).sql, arg(a, 1, c).sql)),
    stringTest('endswith', (a, c) => c.d.endsWith(c.d.lower(arg(a, 0, c).sql), c.d.lower(arg(a, 1, c).sql))),
    stringTest('endswith_cs', (a, c) => c.d.endsWith(arg(a, 0, c).sql, arg(a, 1, c).sql)),
    stringTest('matches_regex', (a, c) => c.d.regexMatch(arg(a, 0, c).sql, arg(a, 1, c).sql)),
    operator({ name: 'dynamic_get', sql: dynamicGet }),
  ];
}
