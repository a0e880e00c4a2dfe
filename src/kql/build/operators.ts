/**
 * Kusto's tabular operators → IR, as a lookup table from the syntax kind of the operator to its builder. An
 * operator without an entry is refused (SMB001) by name. Each builder gets the operator node, its input relation,
 * the binder's output columns and the lexical environment.
 */
import { col, lit, type AggregateColumn, type Expr, type JoinKind, type NamedExpr, type Rel, type SortKey } from '../ir.js';
import { child, elements, must, resultType, textOf, type KNode } from '../kusto.js';
import { aggregateFunction } from '../functions/registry.js';
import type { AggregateSite } from '../functions/types.js';
import type { Column } from '../types.js';
import { explicitName, functionName, scalarOf, spanOf, unnamed, type Builder, type Env } from './context.js';
import { typeArgumentOf } from './scalars.js';
import { constantOf } from '../kusto.js';

export type OperatorBuilder = (b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env) => Rel;

const identity = (columns: readonly Column[]): NamedExpr[] => columns.map((c) => ({ name: c.name, expr: col(c.name, c.type) }));

export const OPERATORS: Readonly<Record<string, OperatorBuilder>> = {
  FilterOperator: (b, op, input, _columns, env) =>
    ({ k: 'filter', input, columns: input.columns, predicate: b.scalar(must(op, 'Condition'), env, new Map()) }),
  ExtendOperator: extend,
  ProjectOperator: project,
  ProjectAwayOperator: (_b, _op, input, columns) => ({ k: 'project', input, columns, items: identity(columns) }),
  ProjectKeepOperator: (_b, _op, input, columns) => ({ k: 'project', input, columns, items: identity(columns) }),
  ProjectReorderOperator: (_b, _op, input, columns) => ({ k: 'project', input, columns, items: identity(columns) }),
  ProjectRenameOperator: projectRename,
  SummarizeOperator: summarize,
  CountOperator: (_b, _op, input, columns) => ({
    k: 'summarize', input, columns, keys: [],
    aggregates: [{ name: columns[0]?.name ?? 'Count', agg: { fn: 'count', args: [], type: 'long' } }],
  }),
  DistinctOperator: distinct,
  SortOperator: (b, op, input, _columns, env) => ({ k: 'sort', input, columns: input.columns, keys: sortKeys(b, elements(op, 'Expressions'), env) }),
  TakeOperator: (b, op, input, _columns, env) => ({ k: 'limit', input, columns: input.columns, count: rowCount(b, must(op, 'Expression'), env) }),
  TopOperator: (b, op, input, _columns, env) => {
    const sorted: Rel = { k: 'sort', input, columns: input.columns, keys: sortKeys(b, [must(op, 'ByExpression')], env) };
    return { k: 'limit', input: sorted, columns: input.columns, count: rowCount(b, must(op, 'Expression'), env) };
  },
  JoinOperator: join,
  UnionOperator: (b, op, input, _columns, env) => union(b, op, input, env),
  AsOperator: (b, op, input) => {
    // `as` names the result for later references in the query (and for union withsource); it is unchanged.
    const name = textOf(must(op, 'Name'), 'SimpleName');
    b.asNames.set(name, input);
    b.legNames.set(input, name);
    return input;
  },
};

/** Names assigned by `extend`: explicit ones, else the binder's automatic names (Column1, …) in order. */
function extend(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  const inputNames = new Set(input.columns.map((c) => c.name));
  const automatic = columns.filter((c) => !inputNames.has(c.name)).map((c) => c.name);
  const explicit = new Set(elements(op, 'Expressions').map(explicitName).filter((n): n is string => n !== undefined));
  const autoQueue = automatic.filter((n) => !explicit.has(n));
  const scope = new Map<string, Expr>();
  for (const item of elements(op, 'Expressions')) {
    const name = explicitName(item) ?? autoQueue.shift();
    if (!name) return b.unsupported('an extend item without a name', item);
    scope.set(name, b.scalar(unnamed(item), env, scope));
  }
  const items = columns.map((c) => ({ name: c.name, expr: scope.get(c.name) ?? col(c.name, c.type) }));
  return { k: 'project', input, columns, items };
}

function project(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  const scope = new Map<string, Expr>();
  const items: NamedExpr[] = [];
  elements(op, 'Expressions').forEach((item, i) => {
    const name = columns[i]?.name;
    if (!name) return b.unsupported('a project item the binder did not type', item);
    const expr = b.scalar(unnamed(item), env, scope);
    scope.set(name, expr);
    items.push({ name, expr });
  });
  if (items.length !== columns.length) return b.unsupported('project with wildcards', op);
  return { k: 'project', input, columns, items };
}

function projectRename(b: Builder, op: KNode, input: Rel, columns: readonly Column[]): Rel {
  const renamedFrom = new Map<string, string>();
  for (const item of elements(op, 'Expressions')) {
    const target = explicitName(item);
    const source = unnamed(item);
    if (!target || source.kind !== 'NameReference') return b.unsupported('this project-rename form', item);
    renamedFrom.set(target, textOf(source, 'SimpleName'));
  }
  const items = columns.map((c) => ({ name: c.name, expr: col(renamedFrom.get(c.name) ?? c.name, c.type) }));
  return { k: 'project', input, columns, items };
}

function summarize(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  const byClause = child(op, 'ByClause');
  const byItems = byClause ? elements(byClause, 'Expressions') : [];
  const keys: NamedExpr[] = byItems.map((item, i) => ({
    name: columns[i]?.name ?? b.unsupported('a summarize key the binder did not type', item),
    expr: b.scalar(unnamed(item), env, new Map()),
  }));
  const aggregates: AggregateColumn[] = [];
  let next = keys.length;
  for (const item of elements(op, 'Aggregates')) {
    const callNode = unnamed(item);
    if (callNode.kind !== 'FunctionCallExpression') {
      return b.unsupported('an expression over aggregates in summarize (name the aggregate, then extend)', item);
    }
    const name = functionName(callNode);
    const def = aggregateFunction(name);
    if (!def) return b.unsupported(`aggregate function '${name}'`, callNode);
    const site = aggregateSite(b, callNode, name, input, keys, env);
    const width = def.width ? def.width(site) : 1;
    const names = columns.slice(next, next + width).map((c) => c.name);
    next += width;
    const first = names[0];
    if (!first) return b.unsupported('an aggregate the binder did not type', item);
    const full = { ...site, names };
    const built = def.build ? def.build(full) : [{ fn: def.name, args: site.args(), type: site.type }];
    const span = spanOf(callNode);
    aggregates.push(...built.map((agg, i) => ({ name: names[i] ?? first, agg: { ...agg, fn: agg.fn === name ? def.name : agg.fn, span } })));
  }
  if (next !== columns.length) return b.unsupported('this summarize form', op);
  return { k: 'summarize', input, columns, keys, aggregates };
}

function aggregateSite(b: Builder, node: KNode, name: string, input: Rel, keys: readonly NamedExpr[], env: Env): Omit<AggregateSite, 'names'> {
  const argNodes = elements(must(node, 'ArgumentList'), 'Expressions').map(unnamed);
  const build = (n: KNode): Expr => b.scalar(n, env, new Map());
  return {
    name,
    node,
    type: scalarOf(resultType(node)) ?? 'dynamic',
    argNodes,
    args: () => argNodes.map(build),
    scalar: build,
    unsupported: (what, at) => b.unsupported(what, at ?? node),
    now: b.options.now,
    constantText: (n) => constantOf(n)?.value,
    typeArgument: typeArgumentOf,
    input: input.columns,
    keys: keys.map((k) => k.name),
  };
}

function distinct(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  const items = elements(op, 'Expressions');
  if (items.some((i) => i.kind === 'StarExpression')) return { k: 'distinct', input, columns, items: identity(columns) };
  return {
    k: 'distinct', input, columns,
    items: items.map((item, i) => ({ name: columns[i]?.name ?? 'Column', expr: b.scalar(unnamed(item), env, new Map()) })),
  };
}

export function sortKeys(b: Builder, items: readonly KNode[], env: Env): SortKey[] {
  return items.map((item) => {
    const expression = item.kind === 'OrderedExpression' ? must(item, 'Expression') : item;
    const ordering = item.kind === 'OrderedExpression' ? child(item, 'Ordering') : undefined;
    const direction = ordering ? child(ordering, 'AscOrDescKeyword')?.text.toLowerCase() : undefined;
    const nulls = ordering ? child(ordering, 'NullsClause') : undefined;
    const descending = direction !== 'asc';
    // Kusto: nulls are the smallest value — last when descending, first when ascending — unless stated.
    const nullsText = nulls ? nulls.text.toLowerCase() : '';
    const nullsFirst = nullsText.includes('first') ? true : nullsText.includes('last') ? false : !descending;
    return { expr: b.scalar(expression, env, new Map()), descending, nullsFirst };
  });
}

/** A constant non-negative row count (`take 10`, `top 3 by …`). */
export function rowCount(b: Builder, node: KNode, env: Env): number {
  const e = b.scalar(node, env, new Map());
  if (e.k !== 'lit' || typeof e.value !== 'number' || !Number.isInteger(e.value) || e.value < 0) {
    return b.unsupported('a row count that is not a constant non-negative integer', node);
  }
  return e.value;
}

const JOIN_KIND_ALIASES: Readonly<Record<string, JoinKind>> = {
  innerunique: 'innerunique', inner: 'inner', leftouter: 'leftouter', rightouter: 'rightouter', fullouter: 'fullouter',
  leftsemi: 'leftsemi', leftanti: 'leftanti', anti: 'leftanti', leftantisemi: 'leftanti',
  rightsemi: 'rightsemi', rightanti: 'rightanti', rightantisemi: 'rightanti',
};

function join(b: Builder, op: KNode, left: Rel, columns: readonly Column[], env: Env): Rel {
  let kind: JoinKind = 'innerunique';
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName');
    const value = must(parameter, 'Expression').text.toLowerCase();
    if (name === 'kind') {
      const normalized = JOIN_KIND_ALIASES[value];
      if (!normalized) return b.unsupported(`join kind '${value}'`, parameter);
      kind = normalized;
    } else if (name !== 'hint.strategy' && name !== 'hint.shufflekey' && name !== 'hint.remote') {
      return b.unsupported(`join parameter '${name}'`, parameter);
    }
  }
  const right = b.tabular(must(op, 'Expression'), env);
  const condition = must(op, 'ConditionClause');
  if (condition.kind !== 'JoinOnClause') return b.unsupported('join … where', condition);
  const on = elements(condition, 'Expressions').map((e) => joinCondition(b, e));
  return { k: 'join', kind, left, right, on, columns };
}

function joinCondition(b: Builder, e: KNode): { left: string; right: string } {
  if (e.kind === 'NameReference') {
    const name = textOf(e, 'SimpleName');
    return { left: name, right: name };
  }
  if (e.kind === 'EqualExpression') {
    const side = (n: KNode): { side: string; name: string } | undefined => {
      if (n.kind !== 'PathExpression') return undefined;
      return { side: must(n, 'Expression').text, name: textOf(must(n, 'Selector'), 'SimpleName') };
    };
    const l = side(must(e, 'Left'));
    const r = side(must(e, 'Right'));
    if (l && r && l.side === '$left' && r.side === '$right') return { left: l.name, right: r.name };
    if (l && r && l.side === '$right' && r.side === '$left') return { left: r.name, right: l.name };
  }
  return b.unsupported('this join condition (use `on Col` or `$left.a == $right.b`)', e);
}

/**
 * Outer union by column name. The binder's output columns decide where each input column goes: to the column of
 * the same name and type, or, when inputs disagree on a column's type, to `name_type` (Kusto suffixes the type:
 * `b_long`, `b_int`). `withsource=C` adds C first, holding each leg's name (its `as` name or the table's name).
 */
export function union(b: Builder, op: KNode, input: Rel | undefined, env: Env): Rel {
  let source: string | undefined;
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName');
    const value = must(parameter, 'Expression');
    if (name.toLowerCase() === 'withsource') source = textOf(value, 'SimpleName');
    else if (name === 'kind' && value.text.toLowerCase() === 'outer') continue;
    else if (name === 'isfuzzy') continue; // only tolerates missing tables, which a bound query cannot have
    else return b.unsupported(`union parameter '${name}'`, parameter);
  }
  const columns = b.columnsOf(op);
  const legs = [...(input ? [{ rel: input, node: op }] : []), ...elements(op, 'Expressions').map((e) => ({ rel: b.tabular(e, env), node: e }))];
  const inputs = legs.map(({ rel, node }) => unionLeg(b, rel, columns, source, node));
  return { k: 'union', inputs, columns };
}

/** One union input with its columns renamed to the union's output columns, plus the source column. */
function unionLeg(b: Builder, rel: Rel, columns: readonly Column[], source: string | undefined, node: KNode): Rel {
  const byName = new Set(columns.map((c) => `${c.name}:${c.type}`));
  const items: NamedExpr[] = [];
  const renamed = new Map<string, Expr>();
  for (const c of rel.columns) {
    const target = byName.has(`${c.name}:${c.type}`) ? c.name : `${c.name}_${c.type}`;
    if (!byName.has(`${target}:${c.type}`) || target === source) return b.unsupported(`union of a column '${c.name}' the binder placed elsewhere`, node);
    renamed.set(target, col(c.name, c.type));
  }
  for (const c of columns) {
    if (c.name === source) {
      const legName = b.legNames.get(rel) ?? (rel.k === 'scan' ? rel.table : undefined);
      if (legName === undefined) return b.unsupported('union withsource over a leg without a name (name it with `as`)', node);
      items.push({ name: c.name, expr: lit(legName, 'string') });
    } else {
      const value = renamed.get(c.name);
      if (value) items.push({ name: c.name, expr: value });
    }
  }
  const legColumns = items.map((i) => ({ name: i.name, type: columns.find((c) => c.name === i.name)?.type ?? i.expr.type }));
  return { k: 'project', input: rel, columns: legColumns, items };
}
