/**
 * Kusto scalar expressions → IR expressions: literals (typed values kept exact), names (columns, let scalars,
 * parameterless functions), Kusto's operators (as IR operators of the function registry), dynamic access, and
 * calls — to let functions (expanded) or to registered functions (built by their registry entry).
 */
import { isoToMicros } from '../../util/time.js';
import { call, lit, located, not, and, type DynamicValue, type Expr } from '../ir.js';
import { child, constantOf, elements, literalTokenText, must, referencedSymbol, resultType, textOf, tokenValue, type KNode } from '../kusto.js';
import { kustoScalarFunction } from '../functions/registry.js';
import { foldTime } from '../functions/time.js';
import type { CallSite } from '../functions/types.js';
import { formatTimespan, parseTimespan } from '../timespan.js';
import { scalarTypeOf, type ScalarType } from '../types.js';
import { dynamicDatetimeText } from '../values.js';
import { describeType, functionName, isTabularType, scalarOf, spanOf, unnamed, type Builder, type Env, type Scope } from './context.js';

/** Kusto binary operators (by syntax kind without `Expression`) → IR operator; negated forms wrap it in `not`. */
const BINARY_OPERATORS: Readonly<Record<string, { fn: string; negated?: boolean }>> = {
  Add: { fn: 'add' }, Subtract: { fn: 'sub' }, Multiply: { fn: 'mul' }, Divide: { fn: 'div' }, Modulo: { fn: 'mod' },
  Equal: { fn: 'eq' }, NotEqual: { fn: 'eq', negated: true },
  LessThan: { fn: 'lt' }, LessThanOrEqual: { fn: 'le' }, GreaterThan: { fn: 'gt' }, GreaterThanOrEqual: { fn: 'ge' },
  And: { fn: 'and' }, Or: { fn: 'or' },
  EqualTilde: { fn: 'eq_ci' }, BangTilde: { fn: 'eq_ci', negated: true },
  Has: { fn: 'has' }, NotHas: { fn: 'has', negated: true }, HasCs: { fn: 'has_cs' }, NotHasCs: { fn: 'has_cs', negated: true },
  HasPrefix: { fn: 'hasprefix' }, NotHasPrefix: { fn: 'hasprefix', negated: true },
  HasSuffix: { fn: 'hassuffix' }, NotHasSuffix: { fn: 'hassuffix', negated: true },
  Contains: { fn: 'contains' }, NotContains: { fn: 'contains', negated: true },
  ContainsCs: { fn: 'contains_cs' }, NotContainsCs: { fn: 'contains_cs', negated: true },
  StartsWith: { fn: 'startswith' }, NotStartsWith: { fn: 'startswith', negated: true },
  StartsWithCs: { fn: 'startswith_cs' }, NotStartsWithCs: { fn: 'startswith_cs', negated: true },
  EndsWith: { fn: 'endswith' }, NotEndsWith: { fn: 'endswith', negated: true },
  EndsWithCs: { fn: 'endswith_cs' }, NotEndsWithCs: { fn: 'endswith_cs', negated: true },
  MatchesRegex: { fn: 'matches_regex' },
};

/** The type a `typeof(T)` argument names. */
export function typeArgumentOf(node: KNode): ScalarType | undefined {
  return node.kind === 'TypeOfLiteralExpression' ? scalarTypeOf(referencedSymbol(node)?.name ?? '') : undefined;
}

/** A scalar expression as IR, with the position of its syntax node. */
export function buildScalar(b: Builder, node: KNode, env: Env, scope: Scope): Expr {
  return located(scalarOfNode(b, node, env, scope), spanOf(node));
}

function scalarOfNode(b: Builder, node: KNode, env: Env, scope: Scope): Expr {
  if (node.kind === 'ToScalarExpression') return toScalar(b, node, env);
  const type = scalarOf(resultType(node));
  if (!type) return b.unsupported(`expression '${node.kind}' of type ${describeType(resultType(node))}`, node);
  const constant = folded(node, type);
  if (constant) return constant;
  const kind = node.kind;
  if (kind.endsWith('LiteralExpression')) return literal(b, node, type);
  switch (kind) {
    case 'NameReference':
      return name(b, node, type, env, scope);
    case 'ParenthesizedExpression':
      return b.scalar(must(node, 'Expression'), env, scope);
    case 'DynamicExpression': {
      const { value, text } = jsonValue(b, must(node, 'Expression'));
      return { k: 'lit', type: 'dynamic', value, json: text };
    }
    case 'FunctionCallExpression':
      return functionCall(b, node, type, env, scope);
    case 'UnaryMinusExpression': {
      const operand = b.scalar(must(node, 'Expression'), env, scope);
      // A negative literal (`-1`, `-2.5`, `-1h`) stays a literal: indexes, precisions and sizes need constants.
      if (operand.k === 'lit' && typeof operand.value === 'number') return lit(-operand.value, type);
      return call('neg', type, operand);
    }
    case 'UnaryPlusExpression':
      return b.scalar(must(node, 'Expression'), env, scope);
    case 'InExpression':
    case 'InCsExpression':
    case 'NotInExpression':
    case 'NotInCsExpression':
      return inExpression(b, node, env, scope);
    case 'HasAnyExpression':
    case 'HasAllExpression': {
      const left = b.scalar(must(node, 'Left'), env, scope);
      return call(kind === 'HasAnyExpression' ? 'has_any' : 'has_all', 'bool', left, ...listValues(b, must(node, 'Right'), env, scope));
    }
    case 'BetweenExpression':
    case 'NotBetweenExpression': {
      const value = b.scalar(must(node, 'Left'), env, scope);
      const range = must(node, 'Right');
      const low = b.scalar(must(range, 'First'), env, scope);
      const second = b.scalar(must(range, 'Second'), env, scope);
      // `dt between (start .. 1d)`: a timespan upper bound is a length from the lower bound.
      const high = value.type === 'datetime' && second.type === 'timespan' ? foldTime(call('add', 'datetime', low, second)) : second;
      const between = and(call('ge', 'bool', value, low), call('le', 'bool', value, high));
      return kind === 'BetweenExpression' ? between : not(between);
    }
    case 'PathExpression':
    case 'ElementExpression':
      return dynamicAccess(b, node, type, env, scope);
    default: {
      const binary = BINARY_OPERATORS[kind.replace(/Expression$/, '')];
      if (!binary) return b.unsupported(`expression '${kind}'`, node);
      const left = b.scalar(must(node, 'Left'), env, scope);
      const right = b.scalar(must(node, 'Right'), env, scope);
      const positive = foldTime(call(binary.fn, type, left, right));
      return binary.negated ? not(positive) : positive;
    }
  }
}

/**
 * toscalar(T): the first column of T's first row. Its type is the binder's, or — where the binder cannot tell (a
 * union with a fuzzy leg that does not exist) — that of the relation's first column.
 */
function toScalar(b: Builder, node: KNode, env: Env): Expr {
  if (child(node, 'KindParameter')) return b.unsupported('toscalar(kind=…)', node);
  const rel = b.tabular(must(node, 'Expression'), env);
  const type = scalarOf(resultType(node)) ?? rel.columns[0]?.type;
  if (!type) return b.unsupported('toscalar of a tabular expression without columns', node);
  return { k: 'subquery', type, rel };
}

/** Constants the binder folded (let scalars such as `threshold = 50`), for types whose printed value is exact. */
function folded(node: KNode, type: ScalarType): Expr | undefined {
  if (node.kind.endsWith('LiteralExpression') || node.kind === 'DynamicExpression') return undefined;
  const constant = constantOf(node);
  if (!constant || constant.value === null) return undefined;
  const v = constant.value;
  switch (type) {
    case 'long':
    case 'int':
      return /^-?\d+$/.test(v) ? lit(Number(v), type) : undefined;
    case 'string':
      return lit(v, 'string');
    case 'bool':
      return lit(v === 'True' || v === 'true', 'bool');
    default:
      return undefined;
  }
}

function literal(b: Builder, node: KNode, type: ScalarType): Expr {
  const token = literalTokenText(node);
  if (/^\w+\(\s*null\s*\)$/i.test(token)) return lit(type === 'string' ? '' : null, type);
  switch (type) {
    case 'bool':
      return lit(/^(bool|boolean)?\(?\s*true\s*\)?$/i.test(token), 'bool');
    case 'int':
    case 'long':
    case 'real': {
      const special = /^real\(\s*([+-]?)(nan|inf)\s*\)$/i.exec(token);
      if (special) return lit(special[2]?.toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? -Infinity : Infinity, 'real');
      // The token, not the binder's printed constant: that one is rounded to 15 digits (0.30000000000000004 → 0.3).
      const numeral = /^(?:(?:real|double|long|int)\(\s*)?([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*\)?$/i.exec(token)?.[1];
      const value = numeral ?? constantOf(node)?.value;
      const n = value == null ? Number.NaN : Number(value);
      if (!Number.isFinite(n)) return b.unsupported(`literal ${token}`, node);
      if (type !== 'real' && !Number.isSafeInteger(n)) return b.unsupported(`integer literal ${token} beyond ±2^53`, node);
      return lit(n, type);
    }
    case 'string':
      return lit(constantOf(node)?.value ?? '', 'string');
    case 'datetime': {
      const inner = /^(?:datetime|date)\(\s*(.*?)\s*\)$/i.exec(token)?.[1];
      const micros = inner === undefined ? null : isoToMicros(paddedDatetime(inner));
      if (micros === null) return b.unsupported(`datetime literal ${token}`, node);
      return lit(micros, 'datetime');
    }
    case 'timespan': {
      const micros = parseTimespan(token);
      if (micros === undefined) return b.unsupported(`timespan literal ${token}`, node);
      return lit(micros, 'timespan');
    }
    case 'guid': {
      const value = constantOf(node)?.value;
      if (value == null || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return b.unsupported(`guid literal ${token}`, node);
      return lit(value.toLowerCase(), 'guid');
    }
    default:
      return b.unsupported(`${type} literal`, node);
  }
}

/** `1970-5-12 3:04` → `1970-05-12T03:04:00` (Kusto accepts unpadded ISO parts, as the docs' examples use). */
function paddedDatetime(text: string): string {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(\.\d+)?)?)?(Z?)$/i.exec(text);
  if (!m) return text;
  const pad = (v: string | undefined): string => (v ?? '0').padStart(2, '0');
  return `${m[1]}-${pad(m[2])}-${pad(m[3])}T${pad(m[4])}:${pad(m[5])}:${pad(m[6])}${m[7] ?? ''}Z`;
}

/**
 * `dynamic(...)` built from the syntax tree, not from the binder's printed constant (which keeps single quotes
 * and typed values). Typed Kusto values become the JSON Kusto serializes them as: datetimes as ISO text with
 * seven fraction digits, timespans as `d.hh:mm:ss`, guids as text.
 */
function jsonValue(b: Builder, node: KNode): { value: DynamicValue; text: string } {
  switch (node.kind) {
    case 'JsonObjectExpression': {
      const value: { [key: string]: DynamicValue } = {};
      const texts: string[] = [];
      for (const pair of elements(node, 'Pairs')) {
        const key = tokenValue(pair, 'Name');
        if (key === undefined) return b.unsupported('a property bag key that is not a string', pair);
        const member = jsonValue(b, must(pair, 'Value'));
        value[key] = member.value;
        texts.push(`${JSON.stringify(key)}:${member.text}`);
      }
      return { value, text: `{${texts.join(',')}}` };
    }
    case 'JsonArrayExpression': {
      const items = elements(node, 'Values').map((v) => jsonValue(b, v));
      return { value: items.map((i) => i.value), text: `[${items.map((i) => i.text).join(',')}]` };
    }
    case 'NullLiteralExpression':
      return { value: null, text: 'null' };
    case 'ParenthesizedExpression':
      return jsonValue(b, must(node, 'Expression'));
    default: {
      const type = scalarOf(resultType(node));
      const isLiteral = node.kind.endsWith('LiteralExpression') || (node.kind === 'UnaryMinusExpression' && must(node, 'Expression').kind.endsWith('LiteralExpression'));
      if (!type || !isLiteral) return b.unsupported(`'${node.kind}' inside a dynamic literal`, node);
      const e = b.scalar(node, new Map(), new Map());
      if (e.k !== 'lit') return b.unsupported('a non-constant value inside a dynamic literal', node);
      const value = jsonOfLiteral(e, () => b.unsupported(`a ${type} value inside a dynamic literal`, node));
      // A whole real keeps its decimal point, so that the engines (and series functions) see a real.
      const whole = e.type === 'real' && typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e21;
      return { value, text: whole ? `${String(value)}.0` : JSON.stringify(value) };
    }
  }
}

/** A literal as the JSON value Kusto holds it as inside `dynamic` (typed values serialized as text). */
function jsonOfLiteral(e: Extract<Expr, { k: 'lit' }>, unsupported: () => never): DynamicValue {
  const v = e.value;
  if (v === null) return null;
  switch (e.type) {
    case 'datetime':
      return typeof v === 'number' ? dynamicDatetimeText(v) : unsupported();
    case 'timespan':
      return typeof v === 'number' ? formatTimespan(v) : unsupported();
    case 'real':
      return typeof v === 'number' && Number.isFinite(v) ? v : unsupported();
    case 'int':
    case 'long':
    case 'bool':
    case 'string':
    case 'guid':
      return v;
    default:
      return unsupported();
  }
}

function name(b: Builder, node: KNode, type: ScalarType, env: Env, scope: Scope): Expr {
  const n = textOf(node, 'SimpleName');
  const symbol = referencedSymbol(node);
  if (symbol?.symbolKind === 'Column') return scope.get(n) ?? { k: 'col', name: n, type };
  const bound = env.get(n);
  if (bound?.k === 'scalar') return bound.expr;
  if (bound?.k === 'function') return b.expandFunctionReference(node, env, (body, bodyEnv) => b.scalar(body, bodyEnv, scope));
  return b.unsupported(`reference to '${n}'`, node);
}

function inExpression(b: Builder, node: KNode, env: Env, scope: Scope): Expr {
  const operator = must(node, 'Operator').text;
  const left = b.scalar(must(node, 'Left'), env, scope);
  const values = listValues(b, must(node, 'Right'), env, scope);
  const positive = call(operator.endsWith('~') ? 'in_ci' : 'in', 'bool', left, ...values);
  return operator.startsWith('!') ? not(positive) : positive;
}

/** `(a, b, dynamic([…]))`: each element; constant dynamic arrays are spread into their elements. */
function listValues(b: Builder, list: KNode, env: Env, scope: Scope): Expr[] {
  const out: Expr[] = [];
  for (const item of elements(list, 'Expressions')) {
    if (isTabularType(resultType(item))) {
      const rel = b.tabular(item, env);
      const first = rel.columns[0];
      if (!first) return b.unsupported('a tabular expression without columns', item);
      out.push({ k: 'subquery', type: first.type, rel });
      continue;
    }
    const e = b.scalar(item, env, scope);
    if (e.type === 'dynamic') {
      if (e.k !== 'lit' || !Array.isArray(e.value)) return b.unsupported('a non-constant dynamic list', item);
      for (const v of e.value) out.push(dynamicElementLiteral(v, () => b.unsupported('a list element that is not a scalar', item)));
    } else {
      out.push(e);
    }
  }
  return out;
}

function dynamicElementLiteral(v: DynamicValue, unsupported: () => never): Expr {
  if (typeof v === 'string') return lit(v, 'string');
  if (typeof v === 'number') return lit(v, Number.isInteger(v) ? 'long' : 'real');
  if (typeof v === 'boolean') return lit(v, 'bool');
  return unsupported();
}

function dynamicAccess(b: Builder, node: KNode, type: ScalarType, env: Env, scope: Scope): Expr {
  const target = b.scalar(must(node, 'Expression'), env, scope);
  if (node.kind === 'PathExpression') {
    return call('dynamic_get', type, target, lit(textOf(must(node, 'Selector'), 'SimpleName'), 'string'));
  }
  const index = b.scalar(must(must(node, 'Selector'), 'Expression'), env, scope);
  return call('dynamic_get', type, target, index);
}

/** A call: a let function is expanded; a registered function is built by its entry; anything else is refused. */
function functionCall(b: Builder, node: KNode, type: ScalarType, env: Env, scope: Scope): Expr {
  const fn = functionName(node);
  const bound = env.get(fn);
  if (bound?.k === 'function') return b.expandFunction(node, env, (body, bodyEnv) => b.scalar(body, bodyEnv, scope));
  const def = kustoScalarFunction(fn);
  if (!def) return b.unsupported(`function '${fn}'`, node);
  const site = callSite(b, node, fn, type, env, scope);
  if (def.build) return def.build(site);
  if (!def.sql) return b.unsupported(`function '${fn}' here (it returns several columns: use extend (a, b, …) = ${fn}(…))`, node);
  return call(def.name, type, ...site.args());
}

/** The front end's view of a call, for registry `build` hooks (and, without `column`, for aggregates). */
export function callSite(b: Builder, node: KNode, fn: string, type: ScalarType, env: Env, scope: Scope): CallSite {
  const argNodes = elements(must(node, 'ArgumentList'), 'Expressions').map(unnamed);
  const build = (n: KNode): Expr => b.scalar(n, env, scope);
  return {
    name: fn,
    node,
    type,
    argNodes,
    args: () => argNodes.map(build),
    scalar: build,
    unsupported: (what, at) => b.unsupported(what, at ?? node),
    now: b.options.now,
    constantText: (n) => constantOf(n)?.value,
    typeArgument: typeArgumentOf,
    column: (columnName) => scope.get(columnName) ?? (b.inputColumns.some((c) => c.name === columnName) ? { k: 'col', name: columnName, type } : undefined),
    once: (expr) => b.shareOnce(expr),
  };
}

/**
 * The columns of a call that returns several (`series_stats(x)`, typed by the binder as a tuple): one IR expression
 * per column, from the function's registry entry.
 */
export function buildColumns(b: Builder, node: KNode, env: Env, scope: Scope): Expr[] {
  const type = resultType(node);
  const width = type && 'tuple' in type ? type.tuple.length : 0;
  const def = node.kind === 'FunctionCallExpression' ? kustoScalarFunction(functionName(node)) : undefined;
  if (!def?.columns || width === 0) {
    const what = node.kind === 'FunctionCallExpression' ? `function ${functionName(node)}` : `expression '${node.kind}'`;
    return b.unsupported(`${what} returning several columns`, node);
  }
  const exprs = def.columns(callSite(b, node, functionName(node), 'dynamic', env, scope));
  if (exprs.length !== width) return b.unsupported(`${functionName(node)} with ${width} columns`, node);
  const span = spanOf(node);
  return exprs.map((e) => located(e, span));
}
