/**
 * IR expressions written back as KQL, for people: the catalog page shows a stage's predicate or an output field's
 * formula this way when the IR node carries no span of the rule's own text (or when the text was inlined: a
 * `let` constant appears as its value). `now`-relative instants are written `ago(14d)` / `now()`, see symbolic.ts.
 *
 * This is display text, never fed back to a compiler.
 */
import type { Aggregate, Expr, LiteralValue } from '../kql/ir.js';
import { MICROS } from '../kql/types.js';
import { datetimeText } from '../kql/values.js';

/** Binary operators written infix, by IR function name; the negated form is what `not(fn(…))` reads as. */
const INFIX: Readonly<Record<string, { readonly op: string; readonly negated?: string }>> = {
  add: { op: '+' }, sub: { op: '-' }, mul: { op: '*' }, div: { op: '/' }, mod: { op: '%' },
  eq: { op: '==', negated: '!=' }, eq_ci: { op: '=~', negated: '!~' },
  lt: { op: '<' }, le: { op: '<=' }, gt: { op: '>' }, ge: { op: '>=' },
  has: { op: 'has', negated: '!has' }, has_cs: { op: 'has_cs', negated: '!has_cs' },
  hasprefix: { op: 'hasprefix', negated: '!hasprefix' }, hassuffix: { op: 'hassuffix', negated: '!hassuffix' },
  contains: { op: 'contains', negated: '!contains' }, contains_cs: { op: 'contains_cs', negated: '!contains_cs' },
  startswith: { op: 'startswith', negated: '!startswith' }, startswith_cs: { op: 'startswith_cs', negated: '!startswith_cs' },
  endswith: { op: 'endswith', negated: '!endswith' }, endswith_cs: { op: 'endswith_cs', negated: '!endswith_cs' },
  matches_regex: { op: 'matches regex' },
};

/** List operators: `x in (a, b)`. */
const LIST: Readonly<Record<string, { readonly op: string; readonly negated: string }>> = {
  in: { op: 'in', negated: '!in' }, in_ci: { op: 'in~', negated: '!in~' },
  has_any: { op: 'has_any', negated: 'not has_any' }, has_all: { op: 'has_all', negated: 'not has_all' },
};

const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function kqlName(name: string): string {
  return SIMPLE_NAME.test(name) ? name : `['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** A timespan in its shortest literal form: `14d`, `36h`, `90s`, `1.5h` is written `90m`. */
export function timespanText(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  for (const [unit, size] of [['d', MICROS.day], ['h', MICROS.hour], ['m', MICROS.minute], ['s', MICROS.second], ['ms', MICROS.millisecond]] as const) {
    if (abs % size === 0 && abs >= size) return `${sign}${abs / size}${unit}`;
  }
  return `${sign}${abs}microseconds`;
}

export function literalText(value: LiteralValue, type: Expr['type']): string {
  if (value === null) return type === 'string' ? '""' : `${type}(null)`;
  switch (type) {
    case 'string':
      return JSON.stringify(value);
    case 'datetime':
      return typeof value === 'number' ? `datetime(${datetimeText(value)})` : String(value);
    case 'timespan':
      return typeof value === 'number' ? timespanText(value) : String(value);
    case 'dynamic':
      return `dynamic(${JSON.stringify(value)})`;
    case 'real':
      return typeof value === 'number' && Number.isInteger(value) ? `${value}.0` : String(value);
    case 'guid':
      return `guid(${String(value)})`;
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** Precedence for parenthesising: higher binds tighter. */
function precedence(e: Expr): number {
  if (e.k !== 'call') return 10;
  if (e.fn === 'or') return 1;
  if (e.fn === 'and') return 2;
  if (e.fn === 'not' && !isNegatedOperator(e)) return 10;
  if (e.fn === 'add' || e.fn === 'sub') return 5;
  if (e.fn === 'mul' || e.fn === 'div' || e.fn === 'mod') return 6;
  if (e.fn in INFIX || e.fn in LIST || isNegatedOperator(e)) return 3;
  return 10;
}

function isNegatedOperator(e: Expr): boolean {
  if (e.k !== 'call' || e.fn !== 'not') return false;
  const inner = e.args[0];
  return inner?.k === 'call' && (INFIX[inner.fn]?.negated !== undefined || inner.fn in LIST);
}

function operand(e: Expr, parent: number): string {
  const text = kqlText(e);
  return precedence(e) < parent ? `(${text})` : text;
}

/** An expression as KQL. */
export function kqlText(e: Expr): string {
  switch (e.k) {
    case 'col':
      return kqlName(e.name);
    case 'lit':
      return literalText(e.value, e.type);
    case 'case':
      return `case(${[...e.whens.flatMap(([when, then]) => [kqlText(when), kqlText(then)]), kqlText(e.otherwise)].join(', ')})`;
    case 'call':
      return callText(e);
    case 'subquery':
      return `toscalar(… ${e.rel.k} …)`;
    default:
      return `(${(e as { k: string }).k})`;
  }
}

function callText(e: Extract<Expr, { k: 'call' }>): string {
  const [first, ...rest] = e.args;
  if (e.fn === 'ago' || e.fn === 'now') return `${e.fn}(${e.args.map(kqlText).join(', ')})`;
  if ((e.fn === 'and' || e.fn === 'or') && e.args.length > 0) {
    // Associative: nested terms of the same operator are written without parentheses.
    const flat = (x: Expr): Expr[] => (x.k === 'call' && x.fn === e.fn ? x.args.flatMap(flat) : [x]);
    const p = precedence(e);
    return e.args.flatMap(flat).map((a) => operand(a, p + 1)).join(` ${e.fn} `);
  }
  if (e.fn === 'not' && first?.k === 'call') {
    const infix = INFIX[first.fn];
    if (infix?.negated && first.args.length === 2) return binary(first.args[0]!, infix.negated, first.args[1]!);
    const list = LIST[first.fn];
    if (list && first.args.length > 0) return listText(first.args[0]!, list.negated, first.args.slice(1));
  }
  if (e.fn === 'neg' && first) return `-${operand(first, 10)}`;
  const infix = INFIX[e.fn];
  if (infix && first && rest.length === 1) return binary(first, infix.op, rest[0]!);
  const list = LIST[e.fn];
  if (list && first) return listText(first, list.op, rest);
  return `${e.fn}(${e.args.map(kqlText).join(', ')})`;
}

function binary(left: Expr, op: string, right: Expr): string {
  const p = ['+', '-'].includes(op) ? 5 : ['*', '/', '%'].includes(op) ? 6 : 3;
  // Left-associative: a right operand of equal precedence needs parentheses (a - (b - c)).
  return `${operand(left, p)} ${op} ${operand(right, p + 1)}`;
}

function listText(left: Expr, op: string, values: readonly Expr[]): string {
  return `${operand(left, 4)} ${op} (${values.map(kqlText).join(', ')})`;
}

export function aggregateText(agg: Aggregate): string {
  return `${agg.fn}(${agg.args.map(kqlText).join(', ')})`;
}

/** The text on one line, `//` comments (outside string literals) removed. */
export function collapse(text: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      out += c;
      if (c === '\\' && i + 1 < text.length) out += text[++i];
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.replace(/\s+/g, ' ').trim();
}
