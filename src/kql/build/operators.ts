/**
 * Kusto's tabular operators → IR, as a lookup table from the syntax kind of the operator to its builder. An
 * operator without an entry is refused (SMB001) by name. Each builder gets the operator node, its input relation,
 * the binder's output columns and the lexical environment.
 */
import { call, col, lit, or, type Aggregate, type AggregateColumn, type Expr, type JoinKind, type NamedExpr, type Rel, type SortKey } from '../ir.js';
import { child, elements, must, resultType, textOf, unresolvedTables, type KNode } from '../kusto.js';
import { aggregateFunction, scalarFunction } from '../functions/registry.js';
import type { AggregateSite } from '../functions/types.js';
import { isNumeric, type Column } from '../types.js';
import { columnsRead, forEachExpr } from '../ir-walk.js';
import { asimScan } from './asim.js';
import { KqlError, NO_FUZZY_TABLE } from '../errors.js';
import { compoundNames, explicitName, functionName, itemWidth, scalarOf, spanOf, unnamed, type Builder, type Env } from './context.js';
import { buildColumns, callSite, typeArgumentOf } from './scalars.js';
import { constantOf } from '../kusto.js';

export type OperatorBuilder = (b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env) => Rel;

const identity = (columns: readonly Column[]): NamedExpr[] => columns.map((c) => ({ name: c.name, expr: col(c.name, c.type) }));

export const OPERATORS: Readonly<Record<string, OperatorBuilder>> = {
  FilterOperator: (b, op, input, _columns, env) =>
    ({ k: 'filter', input, columns: input.columns, predicate: b.scalar(must(op, 'Condition'), env, new Map()) }),
  ExtendOperator: (b, op, input, columns, env) => ordered(b, op, extend(b, op, input, columns, env)),
  ProjectOperator: (b, op, input, columns, env) => ordered(b, op, project(b, op, input, columns, env)),
  SerializeOperator: (b, op, input, columns, env) => ordered(b, op, extend(b, op, input, columns, env)),
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
  LookupOperator: lookup,
  UnionOperator: (b, op, input, _columns, env) => union(b, op, input, env),
  MvExpandOperator: mvExpand,
  GetSchemaOperator: getSchema,
  TopNestedOperator: topNested,
  SearchOperator: (b, op, input, columns, env) => search(b, op, input, columns, env),
  RenderOperator: render,
  MakeSeriesOperator: makeSeries,
  AsOperator: (b, op, input) => {
    // `as` names the result for later references in the query (and for union withsource); it is unchanged.
    const name = textOf(must(op, 'Name'), 'SimpleName');
    b.asNames.set(name, input);
    b.legNames.set(input, name);
    return input;
  },
};

/**
 * Names assigned by `extend`: explicit ones, else the binder's automatic names (Column1, …) in order. An item
 * returning several columns (`(a, b) = series_stats(x)`) fills its explicit names, then automatic ones.
 */
function extend(b: Builder, op: KNode, input: Rel, binderColumns: readonly Column[], env: Env): Rel {
  const inputNames = new Set(input.columns.map((c) => c.name));
  const columns = withInputColumns(binderColumns, input.columns);
  const automatic = columns.filter((c) => !inputNames.has(c.name)).map((c) => c.name);
  const explicit = new Set(elements(op, 'Expressions').flatMap((item) => [explicitName(item), ...compoundNames(item)]).filter((n): n is string => n !== undefined));
  const autoQueue = automatic.filter((n) => !explicit.has(n));
  const scope = new Map<string, Expr>();
  const mark = b.sharedMark();
  for (const item of elements(op, 'Expressions')) {
    const width = itemWidth(item);
    if (width > 1) {
      const given = compoundNames(item);
      const exprs = buildColumns(b, unnamed(item), env, scope);
      exprs.forEach((e, i) => {
        const name = given[i] ?? autoQueue.shift();
        if (!name) return b.unsupported('an extend item without a name', item);
        scope.set(name, e);
      });
      continue;
    }
    const name = explicitName(item) ?? autoQueue.shift();
    if (!name) return b.unsupported('an extend item without a name', item);
    scope.set(name, b.scalar(unnamed(item), env, scope));
  }
  const items = columns.map((c) => ({ name: c.name, expr: scope.get(c.name) ?? col(c.name, c.type) }));
  return { k: 'project', input: withShared(input, b.takeShared(mark)), columns, items };
}

/**
 * extend's output: its input's columns, then the new ones. That is the binder's list, except after a union whose
 * columns the binder did not know (outerUnionColumns): then the input's columns stand first, the binder's new
 * ones (and its types for columns the extend replaces) after them.
 */
function withInputColumns(binder: readonly Column[], input: readonly Column[]): readonly Column[] {
  const known = new Set(binder.map((c) => c.name));
  if (input.every((c) => known.has(c.name))) return binder;
  const inputNames = new Set(input.map((c) => c.name));
  const byName = new Map(binder.map((c) => [c.name, c]));
  return [...input.map((c) => byName.get(c.name) ?? c), ...binder.filter((c) => !inputNames.has(c.name))];
}

/** The input with the values several columns share computed once beside its own columns (Builder.shareOnce). */
function withShared(input: Rel, shared: ReadonlyArray<{ readonly name: string; readonly expr: Expr }>): Rel {
  if (shared.length === 0) return input;
  return {
    k: 'project',
    input,
    columns: [...input.columns, ...shared.map((s) => ({ name: s.name, type: s.expr.type }))],
    items: [...identity(input.columns), ...shared],
  };
}

/** project: each item reads the input's columns (unlike extend, a later item does not see an earlier one). */
function project(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  const scope = new Map<string, Expr>();
  const items: NamedExpr[] = [];
  const mark = b.sharedMark();
  let next = 0;
  for (const item of elements(op, 'Expressions')) {
    const width = itemWidth(item);
    const exprs = width > 1 ? buildColumns(b, unnamed(item), env, scope) : [b.scalar(unnamed(item), env, scope)];
    for (const expr of exprs) {
      const name = columns[next++]?.name;
      if (!name) return b.unsupported('a project item the binder did not type', item);
      items.push({ name, expr });
    }
  }
  if (items.length !== columns.length) return b.unsupported('project with wildcards', op);
  return { k: 'project', input: withShared(input, b.takeShared(mark)), columns, items };
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
    const outputs = columns.slice(next, next + width);
    const names = outputs.map((c) => c.name);
    next += width;
    const first = names[0];
    if (!first) return b.unsupported('an aggregate the binder did not type', item);
    const full = { ...site, names, types: outputs.map((c) => c.type) };
    const built = def.build ? def.build(full) : [{ fn: def.name, args: site.args(), type: site.type }];
    const span = spanOf(callNode);
    aggregates.push(...built.map((agg, i) => ({ name: names[i] ?? first, agg: { ...agg, fn: agg.fn === name ? def.name : agg.fn, span } })));
  }
  if (next !== columns.length) return b.unsupported('this summarize form', op);
  return { k: 'summarize', input, columns, keys, aggregates };
}

function aggregateSite(b: Builder, node: KNode, name: string, input: Rel, keys: readonly NamedExpr[], env: Env): Omit<AggregateSite, 'names' | 'types'> {
  const { column: _column, ...site } = callSite(b, node, name, scalarOf(resultType(node)) ?? 'dynamic', env, new Map());
  return { ...site, input: input.columns, keys: keys.map((k) => k.name) };
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
  const clause = must(op, 'ConditionClause');
  const residual: KNode[] = [];
  const on = joinConditions(b, clause, left, right, residual);
  const joined: Rel = { k: 'join', kind, left, right, on, columns };
  if (residual.length === 0) return joined;
  return { k: 'filter', input: joined, columns, predicate: joinPredicate(b, kind, residual, left, right, env) };
}

/**
 * The conditions of `join kind=inner … where` that are not equalities between the sides (`Ports has
 * tostring(DstPortNumber)`): an inner join keeps exactly the pairs of rows for which the whole condition holds, so
 * they filter the pairs the equalities (if any) produce. Each column they name must belong to one side only; the
 * pairs' columns keep those names. Other join kinds would keep unmatched rows, which a filter cannot express.
 */
function joinPredicate(b: Builder, kind: JoinKind, conditions: readonly KNode[], left: Rel, right: Rel, env: Env): Expr {
  const first = conditions[0]!;
  if (kind !== 'inner') return b.unsupported(`join kind=${kind} … where with a condition other than equalities (kind=inner supports any)`, first);
  const predicates = conditions.map((node) => {
    const e = b.scalar(node, env, new Map());
    for (const name of columnsRead([e])) {
      const inLeft = left.columns.some((c) => c.name === name);
      const inRight = right.columns.some((c) => c.name === name);
      if (inLeft === inRight) return b.unsupported(`join … where naming column '${name}' ${inLeft ? 'of both sides' : 'of neither side'}`, node);
    }
    return e;
  });
  return predicates.reduce((acc, p) => call('and', 'bool', acc, p));
}

type JoinPair = { left: string; right: string; strict?: boolean };

/**
 * `on A, $left.b == $right.c` (key pairs; null keys match, §15 Q2), or `where a == b and …` — equalities between a
 * column of each side (unqualified names are taken from the side that has them; `==` does not match null to null).
 */
function joinConditions(b: Builder, clause: KNode, left: Rel, right: Rel, residual?: KNode[]): JoinPair[] {
  if (clause.kind === 'JoinOnClause') return elements(clause, 'Expressions').map((e) => joinCondition(b, e));
  if (clause.kind !== 'JoinWhereClause') return b.unsupported('this join condition', clause);
  const conjuncts = (e: KNode): KNode[] =>
    e.kind === 'AndExpression' ? [...conjuncts(must(e, 'Left')), ...conjuncts(must(e, 'Right'))] : e.kind === 'ParenthesizedExpression' ? conjuncts(must(e, 'Expression')) : [e];
  const sideOf = (n: KNode): { side: 'left' | 'right'; name: string } | undefined => {
    if (n.kind === 'PathExpression') {
      const owner = must(n, 'Expression').text;
      const name = textOf(must(n, 'Selector'), 'SimpleName');
      return owner === '$left' ? { side: 'left', name } : owner === '$right' ? { side: 'right', name } : undefined;
    }
    if (n.kind !== 'NameReference') return undefined;
    const name = textOf(n, 'SimpleName');
    const inLeft = left.columns.some((c) => c.name === name);
    const inRight = right.columns.some((c) => c.name === name);
    return inLeft === inRight ? undefined : { side: inLeft ? 'left' : 'right', name };
  };
  return conjuncts(must(clause, 'Expression')).flatMap((e) => {
    if (e.kind === 'EqualExpression') {
      const a = sideOf(must(e, 'Left'));
      const c = sideOf(must(e, 'Right'));
      if (a && c && a.side !== c.side) return [a.side === 'left' ? { left: a.name, right: c.name, strict: true } : { left: c.name, right: a.name, strict: true }];
    }
    if (residual) {
      residual.push(e);
      return [];
    }
    return b.unsupported('this join … where condition (equalities between a column of each side, joined by and)', e);
  });
}

/**
 * lookup: a left outer (or inner) join whose right keys are not repeated in the output (lookup-operator). The
 * right side's other columns take the names the binder gives them.
 */
function lookup(b: Builder, op: KNode, left: Rel, columns: readonly Column[], env: Env): Rel {
  let kind: JoinKind = 'leftouter';
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName');
    const value = must(parameter, 'Expression').text.toLowerCase();
    if (name === 'kind' && (value === 'leftouter' || value === 'inner')) kind = value;
    else if (!name.startsWith('hint.')) return b.unsupported(`lookup parameter '${name}=${value}'`, parameter);
  }
  const right = b.tabular(must(op, 'Expression'), env);
  const on = joinConditions(b, must(op, 'LookupClause'), left, right);
  const rightKeys = new Set(on.map((p) => p.right));
  const added = columns.slice(left.columns.length);
  let next = 0;
  const rightColumns = right.columns.map((c, i) => (rightKeys.has(c.name) ? { name: `__lookup${i}`, type: c.type } : { name: added[next++]?.name ?? `__lookup${i}`, type: c.type }));
  if (next !== added.length) return b.unsupported('this lookup form', op);
  const joined: Rel = { k: 'join', kind, left, right, on, columns: [...left.columns, ...rightColumns] };
  return { k: 'project', input: joined, columns, items: identity(columns) };
}

function joinCondition(b: Builder, e: KNode): JoinPair {
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
  let fuzzy = false;
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName');
    const value = must(parameter, 'Expression');
    if (name.toLowerCase() === 'withsource') source = textOf(value, 'SimpleName');
    else if (name === 'kind' && value.text.toLowerCase() === 'outer') continue;
    else if (name === 'isfuzzy') fuzzy = value.text.toLowerCase() === 'true';
    else return b.unsupported(`union parameter '${name}'`, parameter);
  }
  const columns = b.columnsOf(op);
  // isfuzzy=true: a leg reading a table that does not exist is skipped (the binder only warns about it).
  const present = elements(op, 'Expressions').filter((e) => !(fuzzy && unresolvedTables(e).length > 0));
  const legs = [...(input ? [{ rel: input, node: op }] : []), ...present.map((e) => ({ rel: b.tabular(e, env), node: e }))];
  if (legs.length === 0) {
    // Kusto: "If no resolutions were successful, the query returns an error" (the binder itself only warns).
    const missing = unresolvedTables(op).map((t) => t.text);
    throw new KqlError(b.text, [{
      code: NO_FUZZY_TABLE,
      message: `union isfuzzy=true: none of its tables exists (${[...new Set(missing)].join(', ')}); Kusto fails such a query`,
      start: op.start,
      length: Math.max(1, op.length),
    }]);
  }
  const fits = legs.every(({ rel }) => rel.columns.every((c) => columns.some((u) => u.type === c.type && (u.name === c.name || u.name === `${c.name}_${c.type}`))));
  const unionColumns = fits ? columns : outerUnionColumns(legs.map((l) => l.rel), columns, source);
  const inputs = legs.map(({ rel, node }) => unionLeg(b, rel, unionColumns, source, node));
  return { k: 'union', inputs, columns: unionColumns };
}

/**
 * The columns of an outer union worked out from its legs, for when the binder's are not theirs: Kusto.Language
 * types the calls of a `let` function by their argument types, so `union f("DvcAction"), f("NetworkDirection")`
 * over a body that groups `by column_ifexists(field, "")` gets the first call's columns for both (the engine
 * expands each call). Columns in order of first appearance; a name with several types becomes `name_type` for each.
 */
function outerUnionColumns(legs: readonly Rel[], binder: readonly Column[], source: string | undefined): Column[] {
  const types = new Map<string, Set<Column['type']>>();
  for (const rel of legs) for (const c of rel.columns) types.set(c.name, (types.get(c.name) ?? new Set()).add(c.type));
  const out: Column[] = [];
  const sourceColumn = source === undefined ? undefined : binder.find((c) => c.name === source);
  if (sourceColumn) out.push(sourceColumn);
  const seen = new Set<string>();
  for (const rel of legs) {
    for (const c of rel.columns) {
      const name = (types.get(c.name)?.size ?? 1) > 1 ? `${c.name}_${c.type}` : c.name;
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, type: c.type });
    }
  }
  return out;
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

// ---------------------------------------------------------------- mv-expand and make-series

/**
 * mv-expand: the expansion itself (elements as dynamic, plus the index column), then a project converting the
 * columns declared `to typeof(T)` (docs: cast-only — elements of another kind become null).
 */
function mvExpand(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  let bagExpansion: 'bag' | 'array' = 'bag';
  let index: string | undefined;
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName').toLowerCase();
    const value = must(parameter, 'Expression');
    if (name === 'kind' || name === 'bagexpansion') {
      const kind = value.text.toLowerCase();
      if (kind !== 'bag' && kind !== 'array') return b.unsupported(`mv-expand ${name}=${kind}`, parameter);
      bagExpansion = kind;
    } else if (name === 'with_itemindex') {
      index = textOf(value, 'SimpleName');
    } else {
      return b.unsupported(`mv-expand parameter '${name}'`, parameter);
    }
  }
  const inputNames = new Set(input.columns.map((c) => c.name));
  const items = elements(op, 'Expressions');
  const explicit = new Set(items.map((i) => explicitName(must(i, 'Expression'))).filter((n): n is string => n !== undefined));
  const autoQueue = columns.map((c) => c.name).filter((n) => !inputNames.has(n) && n !== index && !explicit.has(n));
  const expansions: NamedExpr[] = [];
  const targets = new Map<string, Column['type']>();
  for (const item of items) {
    const expression = must(item, 'Expression');
    const name = explicitName(expression) ?? autoQueue.shift();
    if (!name) return b.unsupported('an mv-expand item without a name', item);
    expansions.push({ name, expr: b.scalar(unnamed(expression), env, new Map()) });
    const typeOf = child(item, 'ToTypeOf');
    const target = typeOf ? typeArgumentOf(must(typeOf, 'TypeOf')) : 'dynamic';
    if (!target) return b.unsupported('mv-expand to this type', typeOf ?? item);
    if (target === 'timespan') return b.unsupported('mv-expand to typeof(timespan)', typeOf ?? item);
    targets.set(name, target);
  }
  const limitClause = child(op, 'RowLimitClause');
  const limit = limitClause ? rowCount(b, must(limitClause, 'RowLimit'), env) : undefined;
  const expandedColumns = columns.map((c) => (targets.has(c.name) ? { name: c.name, type: 'dynamic' as const } : c));
  const expanded: Rel = {
    k: 'mvexpand', input, columns: expandedColumns, expansions, bagExpansion,
    ...(limit === undefined ? {} : { limit }), ...(index === undefined ? {} : { index }),
  };
  if (![...targets.values()].some((t) => t !== 'dynamic')) return expanded;
  const converted = columns.map((c) => {
    const target = targets.get(c.name);
    const value = col(c.name, target === undefined ? c.type : 'dynamic');
    return { name: c.name, expr: target === undefined || target === 'dynamic' ? value : call('dynamic_as', target, value) };
  });
  return { k: 'project', input: expanded, columns, items: converted };
}

/**
 * One aggregate of make-series: an aggregation function, or a constant (the docs' `other=-1`: the value in bins that
 * have rows, the default elsewhere).
 */
function seriesAggregate(b: Builder, node: KNode, name: string, input: Rel, keys: readonly NamedExpr[], env: Env): Aggregate | undefined {
  if (node.kind !== 'FunctionCallExpression' || !aggregateFunction(functionName(node))) {
    const value = b.scalar(node, env, new Map());
    if (columnsRead([value]).length > 0) return b.unsupported('a make-series aggregate that is not an aggregation', node);
    return { fn: 'take_any', args: [value], type: value.type };
  }
  const fn = functionName(node);
  const def = aggregateFunction(fn);
  if (!def) return b.unsupported(`aggregate function '${fn}'`, node);
  const site = aggregateSite(b, node, fn, input, keys, env);
  if (def.width && def.width(site) !== 1) return b.unsupported(`${fn} in make-series`, node);
  const [agg] = def.build ? def.build({ ...site, names: [name], types: [site.type] }) : [{ fn: def.name, args: site.args(), type: site.type }];
  return agg;
}

/** make-series … on Axis from … to … step … by … (the `in range(…)` form is refused: the docs discourage it). */
function makeSeries(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  let nonempty = false;
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName').toLowerCase();
    const value = must(parameter, 'Expression').text.toLowerCase();
    if (name === 'kind' && value === 'nonempty') nonempty = true;
    else if (!name.startsWith('hint.')) return b.unsupported(`make-series parameter '${name}'`, parameter);
  }
  const byClause = child(op, 'ByClause');
  const byItems = byClause ? elements(byClause, 'Expressions') : [];
  const keys: NamedExpr[] = byItems.map((item, i) => ({
    name: columns[i]?.name ?? b.unsupported('a make-series key the binder did not type', item),
    expr: b.scalar(unnamed(item), env, new Map()),
  }));
  if (nonempty && keys.length > 0) return b.unsupported('make-series kind=nonempty with by', op);
  const aggregates: Array<AggregateColumn & { fill: Expr }> = [];
  for (const [i, item] of elements(op, 'Aggregates').entries()) {
    const name = columns[keys.length + i]?.name;
    const callNode = unnamed(must(item, 'Expression'));
    if (!name) return b.unsupported('a make-series aggregate the binder did not type', item);
    const agg = seriesAggregate(b, callNode, name, input, keys, env);
    if (!agg || !isNumeric(agg.type)) return b.unsupported(`make-series of a ${agg?.type ?? 'non-numeric'} aggregate`, callNode);
    const defaultClause = child(item, 'DefaultExpression');
    const fill = defaultClause ? b.scalar(must(defaultClause, 'Expression'), env, new Map()) : lit(0, agg.type);
    if (fill.k !== 'lit') return b.unsupported('a make-series default that is not a constant', defaultClause ?? item);
    aggregates.push({ name, agg: { ...agg, span: spanOf(callNode) }, fill });
  }
  const axisName = columns[columns.length - 1]?.name;
  const axisNode = must(must(op, 'OnClause'), 'Expression');
  if (!axisName) return b.unsupported('a make-series axis the binder did not type', axisNode);
  const axis = { name: axisName, expr: b.scalar(axisNode, env, new Map()) };
  if (!['datetime', 'timespan', 'int', 'long', 'real'].includes(axis.expr.type)) return b.unsupported(`a make-series axis of type ${axis.expr.type}`, axisNode);
  const range = must(op, 'RangeClause');
  if (range.kind !== 'MakeSeriesFromToStepClause') return b.unsupported('make-series … in range(…) (use from … to … step …)', range);
  const bound = (clause: string): Expr | undefined => {
    const c = child(range, clause);
    if (!c) return undefined;
    const e = b.scalar(must(c, 'Expression'), env, new Map());
    if (columnsRead([e]).length > 0) return b.unsupported('a make-series bound computed from columns', c);
    return e;
  };
  const from = bound('MakeSeriesFromClause');
  const to = bound('MakeSeriesToClause');
  const step = bound('MakeSeriesStepClause');
  if (!step) return b.unsupported('make-series without step', range);
  if (step.k === 'lit' && (typeof step.value !== 'number' || step.value <= 0)) return b.unsupported('a make-series step that is not positive', range);
  if (nonempty && (!from || !to)) return b.unsupported('make-series kind=nonempty without from and to', op);
  return {
    k: 'makeseries', input, columns, keys, aggregates, axis, step, nonempty,
    ...(from ? { from } : {}), ...(to ? { to } : {}),
  };
}

// ---------------------------------------------------------------- getschema and render

/** The .NET type names getschema reports (bool, guid and decimal as Kusto's engine holds them). */
const CLR_TYPES: Readonly<Record<Column['type'], string>> = {
  bool: 'System.SByte', int: 'System.Int32', long: 'System.Int64', real: 'System.Double', decimal: 'System.Data.SqlTypes.SqlDecimal',
  string: 'System.String', datetime: 'System.DateTime', timespan: 'System.TimeSpan', dynamic: 'System.Object', guid: 'System.Guid',
};

/** getschema: one row per input column — its name, ordinal, .NET type and Kusto type. */
function getSchema(_b: Builder, _op: KNode, input: Rel, columns: readonly Column[]): Rel {
  const rows = input.columns.map((c, i) => [lit(c.name, 'string'), lit(i, 'long'), lit(CLR_TYPES[c.type], 'string'), lit(c.type, 'string')]);
  return { k: 'datatable', columns, rows };
}

/** render: accepted and kept as a hint (the CLI shows the rows); the rows are the input's. */
function render(_b: Builder, op: KNode, input: Rel): Rel {
  const visualization = child(op, 'ChartType')?.text ?? 'table';
  const properties: Record<string, string> = {};
  const withClause = child(op, 'WithClause');
  for (const parameter of [...elements(op, 'Parameters'), ...(withClause ? elements(withClause, 'Properties') : [])]) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName');
    const value = must(parameter, 'Expression');
    properties[name] = constantOf(value)?.value ?? value.text;
  }
  return { k: 'render', input, columns: input.columns, visualization, properties };
}

// ---------------------------------------------------------------- row order

/**
 * The order of a relation's rows as the query defines it: a sort's keys, kept by filters, limits and projects that
 * pass the keys' columns through unchanged; undefined when the order is Kusto's arbitrary one.
 */
export function rowOrder(rel: Rel): readonly SortKey[] | undefined {
  switch (rel.k) {
    case 'sort':
      return rel.keys;
    case 'filter':
    case 'limit':
    case 'render':
      return rowOrder(rel.input);
    case 'project': {
      const order = rowOrder(rel.input);
      if (!order) return undefined;
      const kept = new Set(rel.items.filter((i) => i.expr.k === 'col' && i.expr.name === i.name).map((i) => i.name));
      return columnsRead(order.map((k) => k.expr)).every((n) => kept.has(n)) ? order : undefined;
    }
    default:
      return undefined;
  }
}

/** A project whose items read the rows' order (next, prev, row_number) records it, or is refused without one. */
function ordered(b: Builder, op: KNode, rel: Rel): Rel {
  if (rel.k !== 'project') return rel;
  let windowed = false;
  for (const item of rel.items) forEachExpr(item.expr, (e) => (e.k === 'call' && scalarFunction(e.fn)?.window ? (windowed = true) : undefined));
  if (!windowed) return rel;
  const order = rowOrder(rel.input);
  if (!order) return b.unsupported('next(), prev() or row_number() over rows in no defined order (sort them first: smbwatch keeps no arbitrary order)', op);
  return { ...rel, order };
}

// ---------------------------------------------------------------- top-nested

/** top-nested [N] of Expr by Aggregation [asc|desc], … (top-nested-operator); `with others` is refused. */
function topNested(b: Builder, op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
  const levels = elements(op, 'Clauses').map((clause, i) => {
    if (child(clause, 'WithOthersClause')) return b.unsupported('top-nested … with others', clause);
    const countNode = child(clause, 'Expression');
    const count = countNode ? rowCount(b, countNode, env) : undefined;
    const key = b.scalar(unnamed(must(clause, 'OfExpression')), env, new Map());
    const byNode = must(clause, 'ByExpression');
    const ordering = byNode.kind === 'OrderedExpression' ? child(byNode, 'Ordering') : undefined;
    const descending = ordering ? child(ordering, 'AscOrDescKeyword')?.text.toLowerCase() !== 'asc' : true;
    const callNode = unnamed(byNode.kind === 'OrderedExpression' ? must(byNode, 'Expression') : byNode);
    const name = columns[2 * i + 1]?.name;
    if (!name || callNode.kind !== 'FunctionCallExpression') return b.unsupported('a top-nested aggregation that is not one aggregate call', byNode);
    const agg = seriesAggregate(b, callNode, name, input, [], env);
    if (!agg) return b.unsupported('this top-nested aggregation', byNode);
    return { key, agg: { ...agg, span: spanOf(callNode) }, descending, ...(count === undefined ? {} : { count }) };
  });
  if (columns.length !== 2 * levels.length) return b.unsupported('this top-nested form', op);
  return { k: 'topnested', input, columns, levels };
}

// ---------------------------------------------------------------- search

/** The term operator a search literal stands for (search-operator: `err` has, `err*` hasprefix, …). */
function searchTerm(term: string, caseSensitive: boolean): (text: Expr) => Expr {
  const cs = caseSensitive ? '_cs' : '';
  const inner = term.replace(/^\*|\*$/g, '');
  if (term === '*') return () => lit(true, 'bool');
  if (!inner.includes('*')) {
    const starts = term.startsWith('*');
    const ends = term.endsWith('*') && term.length > 1;
    // hasprefix/hassuffix have no case-sensitive forms among the IR operators: those searches use a regex.
    if (starts && ends) return (t) => call(`contains${cs}`, 'bool', t, lit(inner, 'string'));
    if (!starts && !ends) return (t) => call(caseSensitive ? 'has_cs' : 'has', 'bool', t, lit(inner, 'string'));
    if (!caseSensitive) return (t) => call(ends ? 'hasprefix' : 'hassuffix', 'bool', t, lit(inner, 'string'));
  }
  // `Lab*PC`: matches regex \bLab.*PC\b (docs), each part taken literally.
  const body = term.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, (ch) => `\\${ch}`)).join('.*');
  const pattern = `${caseSensitive ? '' : '(?i)'}${term.startsWith('*') ? '' : '\\b'}${body}${term.endsWith('*') ? '' : '\\b'}`;
  return (t) => call('matches_regex', 'bool', t, lit(pattern, 'string'));
}

/**
 * search [kind=…] Predicate over the input (or, without one, the ASIM table — the only table of the database): a
 * string literal searches every column as text (`where * has "err"`), `Col:"x"` one column; other expressions are
 * ordinary predicates. The output starts with `$table`: the name of the table read (search-operator).
 */
export function search(b: Builder, op: KNode, input: Rel | undefined, columns: readonly Column[], env: Env): Rel {
  let caseSensitive = false;
  for (const parameter of elements(op, 'Parameters')) {
    const name = textOf(must(parameter, 'Name'), 'SimpleName');
    const value = must(parameter, 'Expression').text.toLowerCase();
    if (name === 'kind' && ['default', 'case_insensitive', 'case_sensitive'].includes(value)) caseSensitive = value === 'case_sensitive';
    else return b.unsupported(`search parameter '${name}'`, parameter);
  }
  if (child(op, 'InClause') || child(op, 'DataScope')) return b.unsupported('search in (…)', op);
  const source = input ?? asimScan(columns.slice(1), b.options, op);
  const table = tableOf(source);
  if (!table) return b.unsupported('search over a computed input (Kusto names its $table in an undocumented way)', op);
  const asText = (c: Column): Expr => (c.type === 'string' ? col(c.name, 'string') : call('tostring', 'string', col(c.name, c.type)));
  const predicate = (node: KNode): Expr => {
    switch (node.kind) {
      case 'AndExpression':
      case 'OrExpression':
        return call(node.kind === 'AndExpression' ? 'and' : 'or', 'bool', predicate(must(node, 'Left')), predicate(must(node, 'Right')));
      case 'ParenthesizedExpression':
        return predicate(must(node, 'Expression'));
      case 'StringLiteralExpression': {
        const term = constantOf(node)?.value ?? '';
        const test = searchTerm(term, caseSensitive);
        return or(...source.columns.map((c) => test(asText(c))));
      }
      case 'StarExpression':
        return lit(true, 'bool');
      case 'SearchExpression': {
        const column = b.scalar(must(node, 'Left'), env, new Map());
        const term = constantOf(must(node, 'Right'))?.value ?? '';
        return searchTerm(term, caseSensitive)(column.type === 'string' ? column : call('tostring', 'string', column));
      }
      default:
        return b.scalar(node, env, new Map());
    }
  };
  const filtered: Rel = { k: 'filter', input: source, columns: source.columns, predicate: predicate(must(op, 'Condition')) };
  const items = columns.map((c, i) => ({ name: c.name, expr: i === 0 ? lit(table, 'string') : col(c.name, c.type) }));
  return { k: 'project', input: filtered, columns, items };
}

/** The table a relation reads when it is a read of one table, possibly filtered (its rows are that table's). */
function tableOf(rel: Rel): string | undefined {
  if (rel.k === 'scan') return rel.table;
  if (rel.k === 'filter') return tableOf(rel.input);
  return undefined;
}
