/**
 * Kusto.Language's bound syntax tree → the typed relational IR (ir.ts).
 *
 * Names and types come from the binder: every expression's Kusto type is `resultType(node)`, every operator's
 * output columns are the binder's. What the builder adds is evaluation: `let` scalars and tabular lets are
 * inlined, user functions are expanded with their arguments (named, positional or defaulted) bound to the
 * parameters, calls to the ASIM functions become a filtered read of the ASIM table (asim-networksession.md §3.1),
 * and `now()` is the fixed instant of the query. Anything it does not understand is an UnsupportedKqlError that
 * names the construct and points at it — never a guess.
 */
import { ASIM_TABLE } from '../asim/schema.js';
import { isoToMicros } from '../util/time.js';
import { UnsupportedKqlError } from './errors.js';
import {
  and, call, col, lit, not, or,
  type AggregateColumn, type DynamicValue, type Expr, type JoinKind, type NamedExpr, type Rel, type SortKey,
} from './ir.js';
import {
  ASIM_FILTERING_FUNCTIONS, ASIM_FUNCTIONS, analyzeKql, callArguments, child, children, constantOf, elements,
  expansionOf, literalTokenText, must, referencedSymbol, resultType, signatureParameters, textOf, tokenValue,
  type KNode, type KResultType,
} from './kusto.js';
import { formatTimespan, parseTimespan } from './timespan.js';
import { MICROS, scalarTypeOf, type Column, type ScalarType } from './types.js';
import { datetimeText } from './values.js';

export interface BuildOptions {
  /** The query's single `now()`, in microseconds since the epoch (UTC). */
  readonly now: number;
  /**
   * A scheduled rule's look-back (microseconds): every read of the ASIM table sees only
   * `now − lookback ≤ TimeGenerated ≤ now`, as Sentinel applies a rule's query period (seed-rule.md §3 item 3).
   * Absent for ad-hoc queries.
   */
  readonly lookback?: number;
}

export interface BuiltQuery {
  readonly rel: Rel;
  readonly text: string;
}

type Binding =
  | { readonly k: 'scalar'; readonly expr: Expr }
  | { readonly k: 'tabular'; readonly rel: Rel }
  | { readonly k: 'function' };

/** Lexical environment: `let` names visible at a point. Copied on extension, so closures see their definition. */
type Env = ReadonlyMap<string, Binding>;

/** Columns visible to a scalar expression; names defined earlier in the same operator are substituted. */
type Scope = ReadonlyMap<string, Expr>;

export function buildQuery(text: string, options: BuildOptions): BuiltQuery {
  const analyzed = analyzeKql(text);
  const builder = new Builder(text, options);
  let env: Env = new Map();
  let result: Rel | undefined;
  for (const statement of analyzed.statements) {
    if (statement.kind === 'LetStatement') env = builder.letStatement(statement, env);
    else if (statement.kind === 'ExpressionStatement') result = builder.tabular(must(statement, 'Expression'), env);
    else builder.unsupported(`statement '${statement.kind}'`, statement);
  }
  if (!result) throw new UnsupportedKqlError(text, 'a query without a tabular result', 0, text.length);
  return { rel: result, text };
}

class Builder {
  constructor(
    private readonly text: string,
    private readonly options: BuildOptions,
  ) {}

  unsupported(construct: string, node: KNode): never {
    throw new UnsupportedKqlError(this.text, construct, node.start, Math.max(1, node.length));
  }

  // ---------------------------------------------------------------- statements

  letStatement(statement: KNode, env: Env): Env {
    const name = textOf(must(statement, 'Name'), 'SimpleName');
    const value = must(statement, 'Expression');
    const next = new Map(env);
    if (value.kind === 'FunctionDeclaration') {
      next.set(name, { k: 'function' });
    } else if (isTabularType(resultType(value))) {
      next.set(name, { k: 'tabular', rel: this.tabular(value, env) });
    } else {
      next.set(name, { k: 'scalar', expr: this.scalar(value, env, new Map()) });
    }
    return next;
  }

  // ---------------------------------------------------------------- tabular expressions

  tabular(node: KNode, env: Env): Rel {
    switch (node.kind) {
      case 'PipeExpression':
        return this.operator(must(node, 'Operator'), this.tabular(must(node, 'Expression'), env), env);
      case 'ParenthesizedExpression':
        return this.tabular(must(node, 'Expression'), env);
      case 'NameReference':
        return this.tableReference(node, env);
      case 'FunctionCallExpression':
        return this.tabularCall(node, env);
      case 'DataTableExpression':
        return this.datatable(node, env);
      case 'PrintOperator':
        return this.print(node, env);
      case 'UnionOperator':
        return this.union(node, undefined, env);
      case 'MaterializeExpression':
        // materialize() evaluates once; results are the same as evaluating each time (deterministic queries).
        return this.tabular(must(node, 'Expression'), env);
      default:
        return this.unsupported(`tabular expression '${node.kind}'`, node);
    }
  }

  /** Results named by `as` earlier in the query. */
  private readonly asNames = new Map<string, Rel>();
  /** The name `union withsource=` reports for a relation (its `as` name). */
  private readonly legNames = new WeakMap<Rel, string>();

  private tableReference(node: KNode, env: Env): Rel {
    const name = textOf(node, 'SimpleName');
    const bound = env.get(name);
    if (bound?.k === 'tabular') return bound.rel;
    if (bound?.k === 'function') return this.expandFunctionReference(node, env, (body, bodyEnv) => this.tabular(body, bodyEnv));
    const named = this.asNames.get(name);
    if (named && !bound && referencedSymbol(node)?.symbolKind === 'Variable') return named;
    const symbol = referencedSymbol(node);
    if (symbol?.symbolKind === 'Table' && name === ASIM_TABLE) return this.asimScan(this.columnsOf(node));
    if (symbol?.symbolKind === 'Function' && ASIM_FUNCTIONS.includes(name) && !bound) return this.asimRead(node, new Map());
    return this.unsupported(`reference to '${name}'`, node);
  }

  private tabularCall(node: KNode, env: Env): Rel {
    const name = textOf(must(node, 'Name'), 'SimpleName');
    const bound = env.get(name);
    if (name === 'materialize' && !bound) {
      const [arg] = elements(must(node, 'ArgumentList'), 'Expressions');
      if (arg) return this.tabular(arg, env);
    }
    if (!bound && ASIM_FUNCTIONS.includes(name)) return this.asimRead(node, this.argumentValues(node, env));
    if (bound?.k === 'function') return this.expandFunction(node, env, (body, bodyEnv) => this.tabular(body, bodyEnv));
    return this.unsupported(`tabular function '${name}'`, node);
  }

  /**
   * A call to a let-defined function: Kusto.Language gives the body bound for this call; parameters are bound to
   * the arguments (evaluated in the caller's environment) or to their defaults.
   */
  private expandFunction<T>(node: KNode, env: Env, build: (body: KNode, env: Env) => T): T {
    const body = expansionOf(node);
    if (!body) return this.unsupported('a function call whose body cannot be expanded', node);
    const bodyEnv = new Map(env);
    const given = new Map(callArguments(node).map((a) => [a.parameter, a.value] as const));
    for (const parameter of signatureParameters(node)) {
      const arg = given.get(parameter.name) ?? parameter.defaultValue;
      if (!arg) return this.unsupported(`a call without a value for parameter '${parameter.name}'`, node);
      bodyEnv.set(
        parameter.name,
        isTabularType(resultType(arg)) ? { k: 'tabular', rel: this.tabular(arg, env) } : { k: 'scalar', expr: this.scalar(arg, env, new Map()) },
      );
    }
    return this.functionBody(body, bodyEnv, build);
  }

  /** A function of no parameters referenced without parentheses (`let a = () { 123 }; … x * a`). */
  private expandFunctionReference<T>(node: KNode, env: Env, build: (body: KNode, env: Env) => T): T {
    const body = expansionOf(node);
    if (!body) return this.unsupported('a function reference whose body cannot be expanded', node);
    return this.functionBody(body, env, build);
  }

  private functionBody<T>(body: KNode, env: Env, build: (body: KNode, env: Env) => T): T {
    if (body.kind !== 'FunctionBody') return build(body, env);
    let inner: Env = env;
    for (const statement of elements(body, 'Statements')) {
      if (statement.kind === 'LetStatement') inner = this.letStatement(statement, inner);
      else this.unsupported(`statement '${statement.kind}' in a function body`, statement);
    }
    return build(must(body, 'Expression'), inner);
  }

  private argumentValues(node: KNode, env: Env): Map<string, Expr> {
    return new Map(callArguments(node).map((a) => [a.parameter, this.scalar(a.value, env, new Map())] as const));
  }

  /**
   * The ASIM parsers' filters (asim-networksession.md §3.1) over the ASIM table. A default argument (null, empty
   * list, '*') adds no filter at all, so the SQL stays as plain as a hand-written query.
   */
  private asimRead(node: KNode, args: ReadonlyMap<string, Expr>): Rel {
    const columns = this.columnsOf(node);
    const scan = this.asimScan(columns);
    const name = node.kind === 'NameReference' ? textOf(node, 'SimpleName') : textOf(must(node, 'Name'), 'SimpleName');
    if (!(ASIM_FILTERING_FUNCTIONS as readonly string[]).includes(name)) return scan;
    const conditions = asimConditions(args, (what) => this.unsupported(what, node));
    return conditions.length === 0 ? scan : { k: 'filter', input: scan, columns, predicate: and(...conditions) };
  }

  /** A read of the ASIM table, limited to the look-back window when one is set. */
  private asimScan(columns: readonly Column[]): Rel {
    const scan: Rel = { k: 'scan', table: ASIM_TABLE, columns };
    const { lookback, now } = this.options;
    if (lookback === undefined) return scan;
    const time = col('TimeGenerated', 'datetime');
    const predicate = and(call('ge', 'bool', time, lit(now - lookback, 'datetime')), call('le', 'bool', time, lit(now, 'datetime')));
    return { k: 'filter', input: scan, columns, predicate };
  }

  private datatable(node: KNode, env: Env): Rel {
    const columns = this.columnsOf(node);
    const values = elements(node, 'Values').map((v) => this.scalar(v, env, new Map()));
    if (columns.length === 0 || values.length % columns.length !== 0) return this.unsupported('a datatable with a ragged value list', node);
    const rows: Expr[][] = [];
    for (let i = 0; i < values.length; i += columns.length) {
      rows.push(values.slice(i, i + columns.length).map((v, j) => coerceLiteral(v, columns[j]?.type ?? v.type)));
    }
    return { k: 'datatable', columns, rows };
  }

  private print(node: KNode, env: Env): Rel {
    const columns = this.columnsOf(node);
    const items = elements(node, 'Expressions').map((e, i) => ({
      name: columns[i]?.name ?? `print_${i}`,
      expr: this.scalar(unnamed(e), env, new Map()),
    }));
    return { k: 'print', columns, items };
  }

  // ---------------------------------------------------------------- query operators

  private operator(op: KNode, input: Rel, env: Env): Rel {
    const saved = this.inputColumns;
    this.inputColumns = input.columns;
    try {
      return this.operatorOver(op, input, env);
    } finally {
      this.inputColumns = saved;
    }
  }

  private operatorOver(op: KNode, input: Rel, env: Env): Rel {
    const columns = this.columnsOf(op);
    const scope = new Map<string, Expr>();
    switch (op.kind) {
      case 'FilterOperator':
        return { k: 'filter', input, columns: input.columns, predicate: this.scalar(must(op, 'Condition'), env, scope) };
      case 'ExtendOperator':
        return this.extend(op, input, columns, env);
      case 'ProjectOperator':
        return this.project(op, input, columns, env);
      case 'ProjectAwayOperator':
      case 'ProjectKeepOperator':
      case 'ProjectReorderOperator':
        return { k: 'project', input, columns, items: columns.map((c) => ({ name: c.name, expr: col(c.name, c.type) })) };
      case 'ProjectRenameOperator':
        return this.projectRename(op, input, columns);
      case 'SummarizeOperator':
        return this.summarize(op, input, columns, env);
      case 'CountOperator':
        return { k: 'summarize', input, columns, keys: [], aggregates: [{ name: columns[0]?.name ?? 'Count', agg: { fn: 'count', args: [], type: 'long' } }] };
      case 'DistinctOperator':
        return this.distinct(op, input, columns, env);
      case 'SortOperator':
        return { k: 'sort', input, columns: input.columns, keys: this.sortKeys(elements(op, 'Expressions'), env) };
      case 'TakeOperator':
        return { k: 'limit', input, columns: input.columns, count: this.count(must(op, 'Expression'), env) };
      case 'TopOperator': {
        const key = this.sortKeys([must(op, 'ByExpression')], env);
        const sorted: Rel = { k: 'sort', input, columns: input.columns, keys: key };
        return { k: 'limit', input: sorted, columns: input.columns, count: this.count(must(op, 'Expression'), env) };
      }
      case 'JoinOperator':
        return this.join(op, input, columns, env);
      case 'UnionOperator':
        return this.union(op, input, env);
      case 'AsOperator': {
        // `as` names the result for later references in the query (and for union withsource); it is unchanged.
        const name = textOf(must(op, 'Name'), 'SimpleName');
        this.asNames.set(name, input);
        this.legNames.set(input, name);
        return input;
      }
      default:
        return this.unsupported(`operator '${operatorName(op.kind)}'`, op);
    }
  }

  /** Names assigned by `extend`: explicit ones, else the binder's automatic names (Column1, …) in order. */
  private extend(op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
    const inputNames = new Set(input.columns.map((c) => c.name));
    const automatic = columns.filter((c) => !inputNames.has(c.name)).map((c) => c.name);
    const explicit = new Set(elements(op, 'Expressions').map(explicitName).filter((n): n is string => n !== undefined));
    const autoQueue = automatic.filter((n) => !explicit.has(n));
    const scope = new Map<string, Expr>();
    for (const item of elements(op, 'Expressions')) {
      const name = explicitName(item) ?? autoQueue.shift();
      if (!name) return this.unsupported('an extend item without a name', item);
      scope.set(name, this.scalar(unnamed(item), env, scope));
    }
    const items = columns.map((c) => ({ name: c.name, expr: scope.get(c.name) ?? col(c.name, c.type) }));
    return { k: 'project', input, columns, items };
  }

  private project(op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
    const scope = new Map<string, Expr>();
    const items: NamedExpr[] = [];
    elements(op, 'Expressions').forEach((item, i) => {
      const name = columns[i]?.name;
      if (!name) this.unsupported('a project item the binder did not type', item);
      const expr = this.scalar(unnamed(item), env, scope);
      scope.set(name, expr);
      items.push({ name, expr });
    });
    if (items.length !== columns.length) return this.unsupported('project with wildcards', op);
    return { k: 'project', input, columns, items };
  }

  private projectRename(op: KNode, input: Rel, columns: readonly Column[]): Rel {
    const renamedFrom = new Map<string, string>();
    for (const item of elements(op, 'Expressions')) {
      const target = explicitName(item);
      const source = unnamed(item);
      if (!target || source.kind !== 'NameReference') return this.unsupported('this project-rename form', item);
      renamedFrom.set(target, textOf(source, 'SimpleName'));
    }
    const items = columns.map((c) => ({ name: c.name, expr: col(renamedFrom.get(c.name) ?? c.name, c.type) }));
    return { k: 'project', input, columns, items };
  }

  private summarize(op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
    const byClause = child(op, 'ByClause');
    const byItems = byClause ? elements(byClause, 'Expressions') : [];
    const keys: NamedExpr[] = byItems.map((item, i) => ({
      name: columns[i]?.name ?? this.unsupported('a summarize key the binder did not type', item),
      expr: this.scalar(unnamed(item), env, new Map()),
    }));
    const aggregateItems = elements(op, 'Aggregates');
    const aggregates: AggregateColumn[] = [];
    let next = keys.length;
    const widths = aggregateItems.map((item) => this.aggregateWidth(item, input, keys));
    for (const [i, item] of aggregateItems.entries()) {
      const width = widths[i] ?? 1;
      const names = columns.slice(next, next + width).map((c) => c.name);
      next += width;
      aggregates.push(...this.aggregate(item, names, input, keys, env));
    }
    if (next !== columns.length) return this.unsupported('this summarize form', op);
    return { k: 'summarize', input, columns, keys, aggregates };
  }

  /** How many output columns an aggregate item yields (arg_max/arg_min yield several). */
  private aggregateWidth(item: KNode, input: Rel, keys: readonly NamedExpr[]): number {
    const callNode = unnamed(item);
    if (callNode.kind !== 'FunctionCallExpression') return 1;
    const name = functionName(callNode);
    if (name !== 'arg_max' && name !== 'arg_min') return 1;
    return argExtremeColumns(callNode, input, keys).length + 1;
  }

  private aggregate(item: KNode, names: readonly string[], input: Rel, keys: readonly NamedExpr[], env: Env): AggregateColumn[] {
    const callNode = unnamed(item);
    if (callNode.kind !== 'FunctionCallExpression') return this.unsupported('an expression over aggregates in summarize (name the aggregate, then extend)', item);
    const fn = functionName(callNode);
    const argNodes = elements(must(callNode, 'ArgumentList'), 'Expressions');
    const type = scalarOf(resultType(callNode));
    const [first] = names;
    if (!first) return this.unsupported('an aggregate the binder did not type', item);
    if (fn === 'arg_max' || fn === 'arg_min') {
      const byNode = argNodes[0];
      if (!byNode) return this.unsupported(`${fn} without arguments`, callNode);
      const by = this.scalar(unnamed(byNode), env, new Map());
      const outputs = [by, ...argExtremeColumns(callNode, input, keys).map((c) => this.argExtremeValue(c, env))];
      return outputs.map((value, i) => ({ name: names[i] ?? first, agg: { fn, args: [value, by], type: value.type } }));
    }
    if (!AGGREGATES.has(fn)) return this.unsupported(`aggregate function '${fn}'`, callNode);
    const args = argNodes.map((a) => this.scalar(unnamed(a), env, new Map()));
    if (fn === 'percentile' && args[1]?.k !== 'lit') return this.unsupported('percentile with a non-constant percentage', callNode);
    if ((fn === 'make_set' || fn === 'make_list') && args.length > 1) return this.unsupported(`${fn} with a size limit`, callNode);
    return [{ name: first, agg: { fn, args, type: type ?? 'dynamic' } }];
  }

  private argExtremeValue(c: KNode | Column, env: Env): Expr {
    if ('type' in c && 'name' in c && !('kind' in c)) return col(c.name, c.type);
    return this.scalar(unnamed(c as KNode), env, new Map());
  }

  private distinct(op: KNode, input: Rel, columns: readonly Column[], env: Env): Rel {
    const items = elements(op, 'Expressions');
    if (items.some((i) => i.kind === 'StarExpression')) {
      return { k: 'distinct', input, columns, items: columns.map((c) => ({ name: c.name, expr: col(c.name, c.type) })) };
    }
    return {
      k: 'distinct', input, columns,
      items: items.map((item, i) => ({ name: columns[i]?.name ?? 'Column', expr: this.scalar(unnamed(item), env, new Map()) })),
    };
  }

  private sortKeys(items: readonly KNode[], env: Env): SortKey[] {
    return items.map((item) => {
      const expression = item.kind === 'OrderedExpression' ? must(item, 'Expression') : item;
      const ordering = item.kind === 'OrderedExpression' ? child(item, 'Ordering') : undefined;
      const direction = ordering ? child(ordering, 'AscOrDescKeyword')?.text.toLowerCase() : undefined;
      const nulls = ordering ? child(ordering, 'NullsClause') : undefined;
      const descending = direction !== 'asc';
      // Kusto: nulls are the smallest value — last when descending, first when ascending — unless stated.
      const nullsText = nulls ? nulls.text.toLowerCase() : '';
      const nullsFirst = nullsText.includes('first') ? true : nullsText.includes('last') ? false : !descending;
      return { expr: this.scalar(expression, env, new Map()), descending, nullsFirst };
    });
  }

  private count(node: KNode, env: Env): number {
    const e = this.scalar(node, env, new Map());
    if (e.k !== 'lit' || typeof e.value !== 'number' || !Number.isInteger(e.value) || e.value < 0) {
      return this.unsupported('a row count that is not a constant non-negative integer', node);
    }
    return e.value;
  }

  private join(op: KNode, left: Rel, columns: readonly Column[], env: Env): Rel {
    let kind: JoinKind = 'innerunique';
    for (const parameter of elements(op, 'Parameters')) {
      const name = textOf(must(parameter, 'Name'), 'SimpleName');
      const value = must(parameter, 'Expression').text.toLowerCase();
      if (name === 'kind') {
        const normalized = JOIN_KIND_ALIASES[value];
        if (!normalized) return this.unsupported(`join kind '${value}'`, parameter);
        kind = normalized;
      } else if (name !== 'hint.strategy' && name !== 'hint.shufflekey' && name !== 'hint.remote') {
        return this.unsupported(`join parameter '${name}'`, parameter);
      }
    }
    const right = this.tabular(must(op, 'Expression'), env);
    const condition = must(op, 'ConditionClause');
    if (condition.kind !== 'JoinOnClause') return this.unsupported('join … where', condition);
    const on = elements(condition, 'Expressions').map((e) => this.joinCondition(e));
    return { k: 'join', kind, left, right, on, columns };
  }

  private joinCondition(e: KNode): { left: string; right: string } {
    if (e.kind === 'NameReference') {
      const name = textOf(e, 'SimpleName');
      return { left: name, right: name };
    }
    if (e.kind === 'EqualExpression') {
      const l = must(e, 'Left');
      const r = must(e, 'Right');
      const side = (n: KNode): { side: string; name: string } | undefined => {
        if (n.kind !== 'PathExpression') return undefined;
        const selector = must(n, 'Selector');
        return { side: must(n, 'Expression').text, name: textOf(selector, 'SimpleName') };
      };
      const a = side(l);
      const b = side(r);
      if (a && b && a.side === '$left' && b.side === '$right') return { left: a.name, right: b.name };
      if (a && b && a.side === '$right' && b.side === '$left') return { left: b.name, right: a.name };
    }
    return this.unsupported('this join condition (use `on Col` or `$left.a == $right.b`)', e);
  }

  /**
   * Outer union by column name. The binder's output columns decide where each input column goes: to the column of
   * the same name and type, or, when inputs disagree on a column's type, to `name_type` (Kusto suffixes the type:
   * `b_long`, `b_int`). `withsource=C` adds C first, holding each leg's name (its `as` name or the table's name).
   */
  private union(op: KNode, input: Rel | undefined, env: Env): Rel {
    let source: string | undefined;
    for (const parameter of elements(op, 'Parameters')) {
      const name = textOf(must(parameter, 'Name'), 'SimpleName');
      const value = must(parameter, 'Expression');
      if (name.toLowerCase() === 'withsource') source = textOf(value, 'SimpleName');
      else if (name === 'kind' && value.text.toLowerCase() === 'outer') continue;
      else if (name === 'isfuzzy') continue; // only tolerates missing tables, which a bound query cannot have
      else return this.unsupported(`union parameter '${name}'`, parameter);
    }
    const columns = this.columnsOf(op);
    const legs = [...(input ? [{ rel: input, node: op }] : []), ...elements(op, 'Expressions').map((e) => ({ rel: this.tabular(e, env), node: e }))];
    const inputs = legs.map(({ rel, node }) => this.unionLeg(rel, columns, source, node));
    return { k: 'union', inputs, columns };
  }

  /** One union input with its columns renamed to the union's output columns, plus the source column. */
  private unionLeg(rel: Rel, columns: readonly Column[], source: string | undefined, node: KNode): Rel {
    const byName = new Set(columns.map((c) => `${c.name}:${c.type}`));
    const items: NamedExpr[] = [];
    const renamed = new Map<string, Expr>();
    for (const c of rel.columns) {
      const target = byName.has(`${c.name}:${c.type}`) ? c.name : `${c.name}_${c.type}`;
      if (!byName.has(`${target}:${c.type}`) || target === source) return this.unsupported(`union of a column '${c.name}' the binder placed elsewhere`, node);
      renamed.set(target, col(c.name, c.type));
    }
    for (const c of columns) {
      if (c.name === source) {
        const legName = this.legNames.get(rel) ?? (rel.k === 'scan' ? rel.table : undefined);
        if (legName === undefined) return this.unsupported('union withsource over a leg without a name (name it with `as`)', node);
        items.push({ name: c.name, expr: lit(legName, 'string') });
      } else {
        const value = renamed.get(c.name);
        if (value) items.push({ name: c.name, expr: value });
      }
    }
    const legColumns = items.map((i) => ({ name: i.name, type: columns.find((c) => c.name === i.name)?.type ?? i.expr.type }));
    return { k: 'project', input: rel, columns: legColumns, items };
  }

  // ---------------------------------------------------------------- scalar expressions

  scalar(node: KNode, env: Env, scope: Scope): Expr {
    const type = scalarOf(resultType(node));
    if (!type) return this.unsupported(`expression '${node.kind}' of type ${describeType(resultType(node))}`, node);
    const folded = this.folded(node, type);
    if (folded) return folded;
    const kind = node.kind;
    if (kind.endsWith('LiteralExpression')) return this.literal(node, type);
    switch (kind) {
      case 'NameReference':
        return this.name(node, type, env, scope);
      case 'ParenthesizedExpression':
        return this.scalar(must(node, 'Expression'), env, scope);
      case 'DynamicExpression':
        return this.dynamicLiteral(node);
      case 'FunctionCallExpression':
        return this.functionCall(node, type, env, scope);
      case 'UnaryMinusExpression': {
        const operand = this.scalar(must(node, 'Expression'), env, scope);
        // A negative literal (`-1`, `-2.5`, `-1h`) stays a literal: indexes, precisions and sizes need constants.
        if (operand.k === 'lit' && typeof operand.value === 'number') return lit(-operand.value, type);
        return call('neg', type, operand);
      }
      case 'UnaryPlusExpression':
        return this.scalar(must(node, 'Expression'), env, scope);
      case 'InExpression':
      case 'InCsExpression':
      case 'NotInExpression':
      case 'NotInCsExpression':
        return this.inExpression(node, env, scope);
      case 'HasAnyExpression':
      case 'HasAllExpression':
        return this.hasAnyAll(node, kind === 'HasAnyExpression' ? 'has_any' : 'has_all', env, scope);
      case 'BetweenExpression':
      case 'NotBetweenExpression': {
        const value = this.scalar(must(node, 'Left'), env, scope);
        const range = must(node, 'Right');
        const low = this.scalar(must(range, 'First'), env, scope);
        const second = this.scalar(must(range, 'Second'), env, scope);
        // `dt between (start .. 1d)`: a timespan upper bound is a length from the lower bound.
        const high = value.type === 'datetime' && second.type === 'timespan' ? foldTime(call('add', 'datetime', low, second)) : second;
        const between = and(call('ge', 'bool', value, low), call('le', 'bool', value, high));
        return kind === 'BetweenExpression' ? between : not(between);
      }
      case 'PathExpression':
      case 'ElementExpression':
        return this.dynamicAccess(node, type, env, scope);
      default: {
        const binary = BINARY_OPERATORS[kind.replace(/Expression$/, '')];
        if (binary) {
          const left = this.scalar(must(node, 'Left'), env, scope);
          const right = this.scalar(must(node, 'Right'), env, scope);
          const positive = foldTime(call(binary.fn, type, left, right));
          return binary.negated ? not(positive) : positive;
        }
        return this.unsupported(`expression '${kind}'`, node);
      }
    }
  }

  /** Constants the binder folded (let scalars such as `threshold = 50`), for types whose printed value is exact. */
  private folded(node: KNode, type: ScalarType): Expr | undefined {
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

  private literal(node: KNode, type: ScalarType): Expr {
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
        if (!Number.isFinite(n)) return this.unsupported(`literal ${token}`, node);
        if (type !== 'real' && !Number.isSafeInteger(n)) return this.unsupported(`integer literal ${token} beyond ±2^53`, node);
        return lit(n, type);
      }
      case 'string':
        return lit(constantOf(node)?.value ?? '', 'string');
      case 'datetime': {
        const inner = /^(?:datetime|date)\(\s*(.*?)\s*\)$/i.exec(token)?.[1];
        const micros = inner === undefined ? null : isoToMicros(inner);
        if (micros === null) return this.unsupported(`datetime literal ${token}`, node);
        return lit(micros, 'datetime');
      }
      case 'timespan': {
        const micros = parseTimespan(token);
        if (micros === undefined) return this.unsupported(`timespan literal ${token}`, node);
        return lit(micros, 'timespan');
      }
      case 'guid': {
        const value = constantOf(node)?.value;
        if (value == null || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return this.unsupported(`guid literal ${token}`, node);
        return lit(value.toLowerCase(), 'guid');
      }
      default:
        return this.unsupported(`${type} literal`, node);
    }
  }

  /**
   * `dynamic(...)` built from the syntax tree, not from the binder's printed constant (which keeps single quotes
   * and typed values). Typed Kusto values become the JSON Kusto serializes them as: datetimes as ISO text with
   * seven fraction digits, timespans as `d.hh:mm:ss`, guids as text.
   */
  private dynamicLiteral(node: KNode): Expr {
    const value = this.jsonValue(must(node, 'Expression'));
    return lit(value, 'dynamic');
  }

  private jsonValue(node: KNode): DynamicValue {
    switch (node.kind) {
      case 'JsonObjectExpression': {
        const bag: { [key: string]: DynamicValue } = {};
        for (const pair of elements(node, 'Pairs')) {
          const key = tokenValue(pair, 'Name');
          if (key === undefined) return this.unsupported('a property bag key that is not a string', pair);
          bag[key] = this.jsonValue(must(pair, 'Value'));
        }
        return bag;
      }
      case 'JsonArrayExpression':
        return elements(node, 'Values').map((v) => this.jsonValue(v));
      case 'NullLiteralExpression':
        return null;
      case 'ParenthesizedExpression':
        return this.jsonValue(must(node, 'Expression'));
      default: {
        const type = scalarOf(resultType(node));
        const isLiteral = node.kind.endsWith('LiteralExpression') || (node.kind === 'UnaryMinusExpression' && must(node, 'Expression').kind.endsWith('LiteralExpression'));
        if (!type || !isLiteral) return this.unsupported(`'${node.kind}' inside a dynamic literal`, node);
        const e = this.scalar(node, new Map(), new Map());
        if (e.k !== 'lit') return this.unsupported('a non-constant value inside a dynamic literal', node);
        return jsonOfLiteral(e, () => this.unsupported(`a ${type} value inside a dynamic literal`, node));
      }
    }
  }

  private name(node: KNode, type: ScalarType, env: Env, scope: Scope): Expr {
    const name = textOf(node, 'SimpleName');
    const symbol = referencedSymbol(node);
    if (symbol?.symbolKind === 'Column') return scope.get(name) ?? col(name, type);
    const bound = env.get(name);
    if (bound?.k === 'scalar') return bound.expr;
    if (bound?.k === 'function') return this.expandFunctionReference(node, env, (body, bodyEnv) => this.scalar(body, bodyEnv, scope));
    return this.unsupported(`reference to '${name}'`, node);
  }

  private inExpression(node: KNode, env: Env, scope: Scope): Expr {
    const operator = must(node, 'Operator').text;
    const left = this.scalar(must(node, 'Left'), env, scope);
    const values = this.listValues(must(node, 'Right'), env, scope);
    const caseInsensitive = operator.endsWith('~');
    const positive = call(caseInsensitive ? 'in_ci' : 'in', 'bool', left, ...values);
    return operator.startsWith('!') ? not(positive) : positive;
  }

  private hasAnyAll(node: KNode, fn: 'has_any' | 'has_all', env: Env, scope: Scope): Expr {
    const left = this.scalar(must(node, 'Left'), env, scope);
    const values = this.listValues(must(node, 'Right'), env, scope);
    return call(fn, 'bool', left, ...values);
  }

  /** `(a, b, dynamic([…]))`: each element; constant dynamic arrays are spread into their elements. */
  private listValues(list: KNode, env: Env, scope: Scope): Expr[] {
    const out: Expr[] = [];
    for (const item of elements(list, 'Expressions')) {
      if (isTabularType(resultType(item))) return this.unsupported('a tabular expression as an in/has_any list', item);
      const e = this.scalar(item, env, scope);
      if (e.type === 'dynamic') {
        if (e.k !== 'lit' || !Array.isArray(e.value)) return this.unsupported('a non-constant dynamic list', item);
        for (const v of e.value) out.push(dynamicElementLiteral(v, () => this.unsupported('a list element that is not a scalar', item)));
      } else {
        out.push(e);
      }
    }
    return out;
  }

  private dynamicAccess(node: KNode, type: ScalarType, env: Env, scope: Scope): Expr {
    const target = this.scalar(must(node, 'Expression'), env, scope);
    if (node.kind === 'PathExpression') {
      const selector = must(node, 'Selector');
      return call('dynamic_get', type, target, lit(textOf(selector, 'SimpleName'), 'string'));
    }
    const index = this.scalar(must(must(node, 'Selector'), 'Expression'), env, scope);
    return call('dynamic_get', type, target, index);
  }

  private functionCall(node: KNode, type: ScalarType, env: Env, scope: Scope): Expr {
    const name = functionName(node);
    const bound = env.get(name);
    if (bound?.k === 'function') return this.expandFunction(node, env, (body, bodyEnv) => this.scalar(body, bodyEnv, scope));
    const argNodes = elements(must(node, 'ArgumentList'), 'Expressions').map(unnamed);
    const args = (): Expr[] => argNodes.map((a) => this.scalar(a, env, scope));
    switch (name) {
      case 'now': {
        const [offset] = args();
        return offset ? foldTime(call('add', 'datetime', lit(this.options.now, 'datetime'), offset)) : lit(this.options.now, 'datetime');
      }
      case 'ago':
        return foldTime(call('sub', 'datetime', lit(this.options.now, 'datetime'), ...args()));
      case 'iff':
      case 'iif': {
        const [condition, then, otherwise] = args();
        if (!condition || !then || !otherwise) return this.unsupported(`${name} without three arguments`, node);
        return { k: 'case', type, whens: [[condition, then]], otherwise };
      }
      case 'case': {
        const all = args();
        const otherwise = all.pop();
        if (!otherwise || all.length % 2 !== 0) return this.unsupported('case with a missing else', node);
        const whens: Array<[Expr, Expr]> = [];
        for (let i = 0; i < all.length; i += 2) whens.push([all[i] as Expr, all[i + 1] as Expr]);
        return { k: 'case', type, whens, otherwise };
      }
      case 'column_ifexists': {
        const [columnName, fallback] = argNodes;
        const nameValue = columnName ? constantOf(columnName)?.value : undefined;
        if (!columnName || !fallback || nameValue == null) return this.unsupported('column_ifexists with a non-constant name', node);
        const existing = scope.get(nameValue);
        if (existing) return existing;
        // The binder types the call as the column's type when the column exists in the operator's input.
        return this.inputHasColumn(nameValue)
          ? col(nameValue, type)
          : this.scalar(fallback, env, scope);
      }
      case 'extract': {
        // extract(regex, group, text, typeof(T)): the type literal is passed as its name; the template converts.
        const [regex, group, source, typeNode] = argNodes;
        if (!regex || !group || !source) return this.unsupported('extract without three arguments', node);
        const base = [regex, group, source].map((a) => this.scalar(a, env, scope));
        if (!typeNode) return call(name, type, ...base);
        const target = typeNode.kind === 'TypeOfLiteralExpression' ? scalarTypeOf(referencedSymbol(typeNode)?.name ?? '') : undefined;
        if (!target) return this.unsupported('extract with this type argument', typeNode);
        return call(name, type, ...base, lit(target, 'string'));
      }
      case 'totimespan':
      case 'timespan':
      case 'time': {
        const [arg] = args();
        if (arg?.k === 'lit' && typeof arg.value === 'string') {
          const micros = parseTimespan(`time(${arg.value})`);
          if (micros !== undefined) return lit(micros, 'timespan');
        }
        if (arg?.type === 'timespan') return arg;
        return this.unsupported(`${name} of a non-constant value`, node);
      }
      default:
        if (!SCALAR_FUNCTIONS.has(name)) return this.unsupported(`function '${name}'`, node);
        return call(name, type, ...args());
    }
  }

  /** Columns of the operator input being built (column_ifexists looks here). */
  private inputColumns: readonly Column[] = [];

  private inputHasColumn(name: string): boolean {
    return this.inputColumns.some((c) => c.name === name);
  }

  private columnsOf(node: KNode): Column[] {
    const type = resultType(node);
    if (!type || !('columns' in type)) return this.unsupported('an expression without a tabular type', node);
    return type.columns.map((c) => {
      const t = scalarTypeOf(c.type);
      if (!t) return this.unsupported(`column '${c.name}' of type ${c.type}`, node);
      return { name: c.name, type: t };
    });
  }
}

// ---------------------------------------------------------------- ASIM parser semantics

/**
 * Filters of `_Im_NetworkSession(...)` as the source parsers implement them. Arguments that are the default
 * literal add nothing; a non-literal argument keeps the parser's null/empty test so it is exact either way.
 */
export function asimConditions(args: ReadonlyMap<string, Expr>, unsupported: (what: string) => never): Expr[] {
  const conditions: Expr[] = [];
  const timeGenerated = col('TimeGenerated', 'datetime');
  const bound = (name: string, fn: 'ge' | 'le'): void => {
    const value = args.get(name);
    if (!value || (value.k === 'lit' && value.value === null)) return;
    const test = call(fn, 'bool', timeGenerated, value);
    conditions.push(value.k === 'lit' ? test : or(call('isnull', 'bool', value), test));
  };
  bound('starttime', 'ge');
  bound('endtime', 'le');

  const list = (name: string): string[] | undefined => {
    const value = args.get(name);
    if (!value) return undefined;
    if (value.k !== 'lit' || (value.value !== null && !Array.isArray(value.value))) return unsupported(`a non-constant '${name}' argument`);
    const items = (value.value ?? []) as DynamicValue[];
    if (items.length === 0) return undefined;
    return items.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  };
  const prefixTest = (column: string, prefixes: string[]): Expr =>
    or(...prefixes.map((p) => call('startswith_cs', 'bool', col(column, 'string'), lit(p, 'string'))));
  const src = list('srcipaddr_has_any_prefix');
  if (src) conditions.push(prefixTest('SrcIpAddr', src));
  const dst = list('dstipaddr_has_any_prefix');
  if (dst) conditions.push(prefixTest('DstIpAddr', dst));
  const any = list('ipaddr_has_any_prefix');
  if (any) conditions.push(or(prefixTest('SrcIpAddr', any), prefixTest('DstIpAddr', any)));

  const port = args.get('dstportnumber');
  if (port && !(port.k === 'lit' && port.value === null)) {
    const test = call('eq', 'bool', col('DstPortNumber', 'int'), port);
    conditions.push(port.k === 'lit' ? test : or(call('isnull', 'bool', port), test));
  }
  const hostnames = list('hostname_has_any');
  if (hostnames) {
    const values = hostnames.map((h) => lit(h, 'string'));
    conditions.push(or(call('has_any', 'bool', col('DstHostname', 'string'), ...values), call('has_any', 'bool', col('SrcHostname', 'string'), ...values)));
  }
  const actions = list('dvcaction');
  if (actions) conditions.push(call('in', 'bool', col('DvcAction', 'string'), ...actions.map((a) => lit(a, 'string'))));
  const result = args.get('eventresult');
  if (result && !(result.k === 'lit' && result.value === '*')) {
    const test = call('eq', 'bool', col('EventResult', 'string'), result);
    conditions.push(result.k === 'lit' ? test : or(call('eq', 'bool', result, lit('*', 'string')), test));
  }
  return conditions;
}

// ---------------------------------------------------------------- tables and helpers

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

/** Scalar functions the dialect tables implement (sql/functions.ts); others are refused by name. */
export const SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([
  'not', 'isnull', 'isnotnull', 'isempty', 'isnotempty', 'coalesce',
  'tostring', 'toint', 'tolong', 'toreal', 'todouble', 'todatetime', 'tobool', 'toboolean',
  'strcat', 'strlen', 'substring', 'tolower', 'toupper', 'trim', 'split', 'replace_string', 'extract',
  'bin', 'floor', 'startofday', 'datetime_add', 'datetime_diff',
  'abs', 'round', 'ceiling', 'sqrt', 'pow', 'log', 'exp',
  'ipv4_is_private', 'ipv4_is_in_range', 'ipv4_is_in_any_range', 'ipv4_is_match',
  'array_length',
]);

export const AGGREGATES: ReadonlySet<string> = new Set([
  'count', 'countif', 'sum', 'sumif', 'avg', 'avgif', 'min', 'max', 'dcount', 'dcountif',
  'make_set', 'make_list', 'stdev', 'variance', 'percentile',
]);

const JOIN_KIND_ALIASES: Readonly<Record<string, JoinKind>> = {
  innerunique: 'innerunique', inner: 'inner', leftouter: 'leftouter', rightouter: 'rightouter', fullouter: 'fullouter',
  leftsemi: 'leftsemi', leftanti: 'leftanti', anti: 'leftanti', leftantisemi: 'leftanti',
  rightsemi: 'rightsemi', rightanti: 'rightanti', rightantisemi: 'rightanti',
};

function isTabularType(type: KResultType | undefined): boolean {
  return type !== undefined && 'columns' in type;
}

function scalarOf(type: KResultType | undefined): ScalarType | undefined {
  return type && 'scalar' in type ? scalarTypeOf(type.scalar) : undefined;
}

function describeType(type: KResultType | undefined): string {
  if (!type) return 'unknown';
  return 'scalar' in type ? type.scalar : 'table';
}

function functionName(node: KNode): string {
  return textOf(must(node, 'Name'), 'SimpleName');
}

/** `name = expr` → expr; anything else unchanged. */
function unnamed(node: KNode): KNode {
  return node.kind === 'SimpleNamedExpression' ? must(node, 'Expression') : node;
}

function explicitName(node: KNode): string | undefined {
  if (node.kind === 'SimpleNamedExpression') return textOf(must(node, 'Name'), 'SimpleName');
  if (node.kind === 'NameReference') return textOf(node, 'SimpleName');
  return undefined;
}

function operatorName(kind: string): string {
  return kind.replace(/Operator$/, '').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The value columns of arg_max/arg_min after the maximized expression: listed ones, or `*` = the rest. */
function argExtremeColumns(callNode: KNode, input: Rel, keys: readonly NamedExpr[]): Array<KNode | Column> {
  const [by, ...rest] = elements(must(callNode, 'ArgumentList'), 'Expressions');
  if (rest.length === 1 && rest[0]?.kind === 'StarExpression') {
    const exclude = new Set(keys.map((k) => k.name));
    const byNode = by ? unnamed(by) : undefined;
    if (byNode?.kind === 'NameReference') exclude.add(textOf(byNode, 'SimpleName'));
    return input.columns.filter((c) => !exclude.has(c.name));
  }
  return rest;
}

/**
 * Folds datetime/timespan arithmetic on constants (`ago(14d)` → the instant), so time bounds reach SQL as plain
 * literals the engines can prune with, and the ASIM bounds need no null test.
 */
function foldTime(e: Expr): Expr {
  if (e.k !== 'call' || (e.fn !== 'add' && e.fn !== 'sub') || (e.type !== 'datetime' && e.type !== 'timespan')) return e;
  const [a, b] = e.args;
  if (a?.k !== 'lit' || b?.k !== 'lit' || typeof a.value !== 'number' || typeof b.value !== 'number') return e;
  if (a.type === 'datetime' && b.type === 'datetime') return e;
  return lit(e.fn === 'add' ? a.value + b.value : a.value - b.value, e.type);
}

/** A literal as the JSON value Kusto holds it as inside `dynamic` (typed values serialized as text). */
function jsonOfLiteral(e: Extract<Expr, { k: 'lit' }>, unsupported: () => never): DynamicValue {
  const v = e.value;
  if (v === null) return null;
  switch (e.type) {
    case 'datetime':
      return typeof v === 'number' ? datetimeText(v) : unsupported();
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

function dynamicElementLiteral(v: DynamicValue, unsupported: () => never): Expr {
  if (typeof v === 'string') return lit(v, 'string');
  if (typeof v === 'number') return lit(v, Number.isInteger(v) ? 'long' : 'real');
  if (typeof v === 'boolean') return lit(v, 'bool');
  return unsupported();
}

/** datatable values are typed by the column (a `long` column given `1.0`, an `int(null)` in a long column…). */
function coerceLiteral(e: Expr, type: ScalarType): Expr {
  if (e.k !== 'lit' || e.type === type) return e;
  if (e.value === null) return lit(type === 'string' ? '' : null, type);
  return { ...e, type };
}

export { MICROS };
