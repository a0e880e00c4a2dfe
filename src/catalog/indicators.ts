/**
 * Indicators: what a rule matches, one row per (field, kind, values) — read off the predicates of its `where`
 * stages. `tostring(DstPortNumber) has_any ("139", "445")` is the indicator DstPortNumber · match · 139, 445;
 * `ipv4_is_private(SrcIpAddr)` is SrcIpAddr · cidr_match · the private ranges. Conditions on TimeGenerated
 * against now-relative instants are the rule's time windows, shown with its sources, not indicators. A test of a
 * bool column an `extend` computed is read as its definition.
 */
import { call, type Expr } from '../kql/ir.js';
import { kqlText, literalText } from './kql-text.js';
import { allStages, conjuncts, isWindowConjunct, pushNot, type Pipeline } from './pipeline.js';
import type { Rel } from '../kql/ir.js';
import { nodeAt } from './plan.js';

export type IndicatorKind =
  | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'in' | 'not_in' | 'match' | 'not_match' | 'regex'
  | 'cidr_match' | 'not_cidr_match' | 'null' | 'not_null' | 'empty' | 'not_empty' | 'true' | 'false';

export interface Indicator {
  /** The field tested: a column, or an expression when the test is not on one column. */
  readonly field: string;
  readonly kind: IndicatorKind;
  /** The Kusto operator or function as written (`has_any`, `>`, `ipv4_is_private`). */
  readonly operator: string;
  /** The values compared with: literals as text, or field names when `valuesAre` is `fields`. */
  readonly values: readonly string[];
  readonly valuesAre: 'literals' | 'fields' | 'none';
  /** The stages whose predicates hold it. */
  readonly stages: readonly string[];
}

/** IR function → indicator kind, operator text, and whether the kind of its negation. */
const KINDS: Readonly<Record<string, { readonly kind: IndicatorKind; readonly op: string; readonly not: IndicatorKind }>> = {
  eq: { kind: 'eq', op: '==', not: 'ne' },
  eq_ci: { kind: 'eq', op: '=~', not: 'ne' },
  gt: { kind: 'gt', op: '>', not: 'le' },
  ge: { kind: 'ge', op: '>=', not: 'lt' },
  lt: { kind: 'lt', op: '<', not: 'ge' },
  le: { kind: 'le', op: '<=', not: 'gt' },
  in: { kind: 'in', op: 'in', not: 'not_in' },
  in_ci: { kind: 'in', op: 'in~', not: 'not_in' },
  has: { kind: 'match', op: 'has', not: 'not_match' },
  has_cs: { kind: 'match', op: 'has_cs', not: 'not_match' },
  has_any: { kind: 'match', op: 'has_any', not: 'not_match' },
  has_all: { kind: 'match', op: 'has_all', not: 'not_match' },
  hasprefix: { kind: 'match', op: 'hasprefix', not: 'not_match' },
  hassuffix: { kind: 'match', op: 'hassuffix', not: 'not_match' },
  contains: { kind: 'match', op: 'contains', not: 'not_match' },
  contains_cs: { kind: 'match', op: 'contains_cs', not: 'not_match' },
  startswith: { kind: 'match', op: 'startswith', not: 'not_match' },
  startswith_cs: { kind: 'match', op: 'startswith_cs', not: 'not_match' },
  endswith: { kind: 'match', op: 'endswith', not: 'not_match' },
  endswith_cs: { kind: 'match', op: 'endswith_cs', not: 'not_match' },
  matches_regex: { kind: 'regex', op: 'matches regex', not: 'not_match' },
  ipv4_is_private: { kind: 'cidr_match', op: 'ipv4_is_private', not: 'not_cidr_match' },
  ipv4_is_in_range: { kind: 'cidr_match', op: 'ipv4_is_in_range', not: 'not_cidr_match' },
  ipv4_is_in_any_range: { kind: 'cidr_match', op: 'ipv4_is_in_any_range', not: 'not_cidr_match' },
  ipv4_is_match: { kind: 'cidr_match', op: 'ipv4_is_match', not: 'not_cidr_match' },
  isnull: { kind: 'null', op: 'isnull', not: 'not_null' },
  isnotnull: { kind: 'not_null', op: 'isnotnull', not: 'null' },
  isempty: { kind: 'empty', op: 'isempty', not: 'not_empty' },
  isnotempty: { kind: 'not_empty', op: 'isnotempty', not: 'empty' },
};

/** The ranges `ipv4_is_private` tests (RFC 1918; learn.microsoft.com kusto ipv4-is-private-function). */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** Conversions that do not change which field is tested. */
const TRANSPARENT = new Set(['tostring', 'toint', 'tolong', 'toreal', 'todouble', 'tolower', 'toupper', 'trim']);

/** Mirror of a comparison when the field is on the right (`50 < Deviation` is Deviation > 50). */
const MIRROR: Readonly<Record<string, string>> = { gt: 'lt', lt: 'gt', ge: 'le', le: 'ge', eq: 'eq', eq_ci: 'eq_ci' };

/** Every indicator of the plan's where stages, deduplicated, sorted by field, kind and values. */
export function indicatorsOf(root: Rel, pipeline: Pipeline): Indicator[] {
  const found = new Map<string, { indicator: Omit<Indicator, 'stages'>; stages: string[] }>();
  for (const stage of allStages(pipeline)) {
    if (stage.kind !== 'where') continue;
    const node = nodeAt(root, stage.path);
    if (node.k !== 'filter') continue;
    for (const indicator of predicateIndicators(node.predicate, (name) => definitionBelow(root, stage.path, name))) {
      const key = JSON.stringify([indicator.field, indicator.kind, indicator.operator, indicator.values]);
      const entry = found.get(key) ?? { indicator, stages: [] };
      if (!entry.stages.includes(stage.number)) entry.stages.push(stage.number);
      found.set(key, entry);
    }
  }
  return [...found.values()]
    .map(({ indicator, stages }) => ({ ...indicator, stages }))
    .sort((a, b) => compare(a.field, b.field) || compare(a.kind, b.kind) || compare(a.values.join(','), b.values.join(',')));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How deep flags defined from flags are followed (`where Alert` with `Alert = Volume or Fanout`). */
const FLAG_DEPTH = 3;

function predicateIndicators(predicate: Expr, define: (name: string) => Expr | undefined, depth = 0): Array<Omit<Indicator, 'stages'>> {
  return conjuncts(predicate).flatMap((c) => {
    const definition = depth < FLAG_DEPTH ? flagDefinition(c, define) : undefined;
    if (definition) return predicateIndicators(definition, define, depth + 1);
    if (isWindowConjunct(c)) return [];
    return c.k === 'call' && c.fn === 'or' ? c.args.flatMap((a) => predicateIndicators(a, define, depth)) : [atom(c)];
  });
}

/**
 * A test of a bool column an `extend` computed (`where Recent`, `where not(Recent)`) is a test of its definition:
 * `Recent = TimeGenerated >= ago(1d)` makes `where Recent` a time window, `where PeerSignal` the signal's conditions.
 */
function flagDefinition(e: Expr, define: (name: string) => Expr | undefined): Expr | undefined {
  if (e.k === 'col' && e.type === 'bool') return define(e.name);
  if (e.k === 'call' && e.fn === 'not' && e.args[0]?.k === 'col' && e.args[0].type === 'bool') {
    const definition = define(e.args[0].name);
    return definition ? pushNot(call('not', 'bool', definition)) : undefined;
  }
  return undefined;
}

/** The expression an extend below a stage gave a column, following pass-throughs; undefined for a table's, an aggregate's or a join's. */
function definitionBelow(root: Rel, path: readonly number[], name: string): Expr | undefined {
  let node = nodeAt(root, [...path, 0]);
  let at = [...path, 0];
  for (;;) {
    if (node.k === 'project') {
      const item = node.items.find((i) => i.name === name);
      if (!item) return undefined;
      if (!(item.expr.k === 'col' && item.expr.name === name)) return item.expr;
    } else if (node.k !== 'filter' && node.k !== 'sort' && node.k !== 'limit') {
      return undefined;
    }
    at = [...at, 0];
    node = nodeAt(root, at);
  }
}

function atom(e: Expr): Omit<Indicator, 'stages'> {
  let negated = false;
  let test = e;
  while (test.k === 'call' && test.fn === 'not' && test.args[0]) {
    negated = !negated;
    test = test.args[0];
  }
  if (test.k === 'col' && test.type === 'bool') return { field: test.name, kind: negated ? 'false' : 'true', operator: negated ? 'not' : '', values: [], valuesAre: 'none' };
  if (test.k !== 'call') return opaque(e);
  let fn = test.fn;
  let [subject, ...rest] = test.args;
  if (subject && !fieldOf(subject) && rest.length === 1 && rest[0] && fieldOf(rest[0]) && MIRROR[fn]) {
    [subject, rest] = [rest[0], [subject]];
    fn = MIRROR[fn]!;
  }
  const spec = KINDS[fn];
  const field = subject ? fieldOf(subject) : undefined;
  if (!spec || !subject || !field) return opaque(e);
  const kind = negated ? spec.not : spec.kind;
  const operator = negated ? (fn === 'eq' ? '!=' : fn === 'eq_ci' ? '!~' : `not ${spec.op}`) : spec.op;
  if (fn === 'ipv4_is_private') return { field, kind, operator, values: PRIVATE_RANGES, valuesAre: 'literals' };
  if (rest.length === 0) return { field, kind, operator, values: [], valuesAre: 'none' };
  if (rest.every((v) => v.k === 'lit')) return { field, kind, operator, values: rest.map(valueText), valuesAre: 'literals' };
  if (rest.every((v) => fieldOf(v) !== undefined)) return { field, kind, operator, values: rest.map((v) => fieldOf(v)!), valuesAre: 'fields' };
  return { field, kind, operator, values: rest.map(kqlText), valuesAre: 'literals' };
}

/** The column a test is on, through conversions (`tostring(DstPortNumber)` tests DstPortNumber). */
function fieldOf(e: Expr): string | undefined {
  if (e.k === 'col') return e.name;
  if (e.k === 'call' && TRANSPARENT.has(e.fn) && e.args.length === 1 && e.args[0]) return fieldOf(e.args[0]);
  return undefined;
}

function valueText(e: Expr): string {
  if (e.k !== 'lit') return kqlText(e);
  return typeof e.value === 'string' ? e.value : literalText(e.value, e.type);
}

/** A test that is not one of the known shapes: the whole condition, shown as its expression, must be true. */
function opaque(e: Expr): Omit<Indicator, 'stages'> {
  return { field: kqlText(e), kind: 'true', operator: '', values: [], valuesAre: 'none' };
}
