/**
 * Kusto.Language's bound syntax tree → the typed relational IR (ir.ts): the core of the builder — statements,
 * `let`s, user functions, table references. The parts live in build/: tabular operators as a lookup table
 * (operators.ts), scalar expressions (scalars.ts), the ASIM parsers' semantics (asim.ts); functions come from the
 * registry (src/kql/functions/).
 *
 * Names and types come from the binder: every expression's Kusto type is `resultType(node)`, every operator's
 * output columns are the binder's. What the builder adds is evaluation: `let` scalars and tabular lets are
 * inlined, user functions are expanded with their arguments (named, positional or defaulted) bound to the
 * parameters, calls to the ASIM functions become a filtered read of the ASIM table (asim-networksession.md §3.1),
 * and `now()` is the fixed instant of the query. Anything it does not understand is an UnsupportedKqlError that
 * names the construct and points at it — never a guess. Every IR node carries the position of its construct.
 */
import { ASIM_TABLE } from '../asim/schema.js';
import { UnsupportedKqlError } from './errors.js';
import { located, type Expr, type Rel } from './ir.js';
import {
  ASIM_FUNCTIONS, GET_WATCHLIST, analyzeKql, callArguments, descendantsOfKind, elements, expansionOf, must, referencedSymbol, resultType,
  signatureParameters, textOf, unresolvedTables, type KNode,
} from './kusto.js';
import { asimRead, asimScan } from './build/asim.js';
import { catalogScan, watchlistRelation } from './build/catalog.js';
import { catalogFunction, type Catalog } from './catalog.js';
import {
  isTabularType, spanOf, unnamed, type Binding, type BuildOptions, type Builder, type Env, type Scope,
} from './build/context.js';
import { OPERATORS, search, union } from './build/operators.js';
import { buildScalar } from './build/scalars.js';
import { scalarTypeOf, type Column, type ScalarType } from './types.js';

export type { BuildOptions } from './build/context.js';

export interface BuiltQuery {
  readonly rel: Rel;
  readonly text: string;
}

export function buildQuery(original: string, options: BuildOptions): BuiltQuery {
  // Errors are reported against the query as written: blanking keeps every position.
  const analyzed = analyzeKql(withoutMissingFuzzyLegs(original, options.catalog), options.catalog);
  const text = original;
  const builder = new QueryBuilder(text, options);
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

class QueryBuilder implements Builder {
  readonly asNames = new Map<string, Rel>();
  readonly legNames = new WeakMap<Rel, string>();
  inputColumns: readonly Column[] = [];
  private readonly shared: Array<{ name: string; expr: Expr }> = [];
  private sharedCount = 0;

  constructor(
    readonly text: string,
    readonly options: BuildOptions,
  ) {}

  shareOnce(expr: Expr): Expr {
    const name = `__shared${this.sharedCount++}`;
    this.shared.push({ name, expr });
    return { k: 'col', name, type: expr.type };
  }

  sharedMark(): number {
    return this.shared.length;
  }

  takeShared(mark: number): Array<{ readonly name: string; readonly expr: Expr }> {
    return this.shared.splice(mark);
  }

  unsupported(construct: string, node: KNode): never {
    throw new UnsupportedKqlError(this.text, construct, node.start, Math.max(1, node.length));
  }

  // ---------------------------------------------------------------- statements

  letStatement(statement: KNode, env: Env): Env {
    const name = textOf(must(statement, 'Name'), 'SimpleName');
    const value = must(statement, 'Expression');
    const next = new Map(env);
    let binding: Binding;
    if (value.kind === 'FunctionDeclaration') binding = { k: 'function' };
    else if (isTabularType(resultType(value))) binding = { k: 'tabular', rel: this.tabular(value, env) };
    else binding = { k: 'scalar', expr: this.scalar(value, env, new Map()) };
    next.set(name, binding);
    return next;
  }

  // ---------------------------------------------------------------- tabular expressions

  tabular(node: KNode, env: Env): Rel {
    return located(this.tabularOf(node, env), spanOf(node));
  }

  private tabularOf(node: KNode, env: Env): Rel {
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
      case 'RangeOperator': {
        const value = (property: string): Expr => this.scalar(must(node, property), env, new Map());
        return { k: 'range', columns: this.columnsOf(node), from: value('From'), to: value('To'), step: value('Step') };
      }
      case 'UnionOperator':
        return union(this, node, undefined, env);
      case 'SearchOperator':
        return search(this, node, undefined, this.columnsOf(node), env);
      case 'MaterializeExpression':
        // materialize() evaluates once; results are the same as evaluating each time (deterministic queries).
        return this.tabular(must(node, 'Expression'), env);
      default:
        return this.unsupported(`tabular expression '${node.kind}'`, node);
    }
  }

  private operator(op: KNode, input: Rel, env: Env): Rel {
    const build = OPERATORS[op.kind];
    if (!build) return this.unsupported(`operator '${operatorName(op.kind)}'`, op);
    const saved = this.inputColumns;
    this.inputColumns = input.columns;
    try {
      return located(build(this, op, input, this.columnsOf(op), env), spanOf(op));
    } finally {
      this.inputColumns = saved;
    }
  }

  private tableReference(node: KNode, env: Env): Rel {
    const name = textOf(node, 'SimpleName');
    const bound = env.get(name);
    if (bound?.k === 'tabular') return bound.rel;
    if (bound?.k === 'function') return this.expandFunctionReference(node, env, (body, bodyEnv) => this.tabular(body, bodyEnv));
    const named = this.asNames.get(name);
    if (named && !bound && referencedSymbol(node)?.symbolKind === 'Variable') return named;
    const symbol = referencedSymbol(node);
    if (symbol?.symbolKind === 'Table' && name === ASIM_TABLE) return asimScan(this.columnsOf(node), this.options, node);
    if (symbol?.symbolKind === 'Function' && ASIM_FUNCTIONS.includes(name) && !bound) return this.asimRead(node, new Map());
    if (symbol?.symbolKind === 'Table' && !bound) {
      const scan = catalogScan(name, this.columnsOf(node), this.options, node);
      if (scan) return scan;
    }
    if (symbol?.symbolKind === 'Function' && !bound && catalogFunction(this.options.catalog, name)) {
      return this.expandFunctionReference(node, env, (body, bodyEnv) => this.tabular(body, bodyEnv));
    }
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
    if (!bound && name === GET_WATCHLIST) {
      return watchlistRelation(node, this.columnsOf(node), this.options, (what, at) => this.unsupported(what, at ?? node));
    }
    if (!bound && catalogFunction(this.options.catalog, name)) return this.expandFunction(node, env, (body, bodyEnv) => this.tabular(body, bodyEnv));
    return this.unsupported(`tabular function '${name}'`, node);
  }

  private asimRead(node: KNode, args: ReadonlyMap<string, Expr>): Rel {
    return asimRead(node, this.columnsOf(node), args, this.options, (what) => this.unsupported(what, node));
  }

  /**
   * A call to a let-defined function: Kusto.Language gives the body bound for this call; parameters are bound to
   * the arguments (evaluated in the caller's environment) or to their defaults.
   */
  expandFunction<T>(node: KNode, env: Env, build: (body: KNode, env: Env) => T): T {
    const body = expansionOf(node);
    if (!body) return this.unsupported('a function call whose body cannot be expanded', node);
    const bodyEnv = new Map(env);
    const given = new Map(callArguments(node).map((a) => [a.parameter, a.value] as const));
    for (const parameter of signatureParameters(node)) {
      const explicit = given.get(parameter.name);
      const arg = explicit ?? parameter.defaultValue;
      if (!arg) return this.unsupported(`a call without a value for parameter '${parameter.name}'`, node);
      if (!explicit && resultType(arg) === undefined) {
        // A stored function's (catalog.ts) defaults come unbound from its declaration: bind the value on its own.
        bodyEnv.set(parameter.name, { k: 'scalar', expr: this.unboundDefault(arg, node) });
        continue;
      }
      bodyEnv.set(
        parameter.name,
        isTabularType(resultType(arg)) ? { k: 'tabular', rel: this.tabular(arg, env) } : { k: 'scalar', expr: this.scalar(arg, env, new Map()) },
      );
    }
    return this.functionBody(body, bodyEnv, build);
  }

  /** A constant default value of a stored function's parameter (`dynamic([])`, `datetime(null)`, `'*'`), bound alone. */
  private unboundDefault(value: KNode, call: KNode): Expr {
    const [statement] = analyzeKql(`print v = ${value.text}`).statements;
    const printed = statement ? descendantsOfKind(statement, value.kind)[0] : undefined;
    if (!printed) return this.unsupported(`the default value ${value.text} of a stored function's parameter`, call);
    const e = this.scalar(printed, new Map(), new Map());
    if (e.k !== 'lit') return this.unsupported(`the default value ${value.text} of a stored function's parameter (not a constant)`, call);
    return { ...e, span: spanOf(call) };
  }

  /** A function of no parameters referenced without parentheses (`let a = () { 123 }; … x * a`). */
  expandFunctionReference<T>(node: KNode, env: Env, build: (body: KNode, env: Env) => T): T {
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

  // ---------------------------------------------------------------- scalars and types

  scalar(node: KNode, env: Env, scope: Scope): Expr {
    return buildScalar(this, node, env, scope);
  }

  columnsOf(node: KNode): Column[] {
    const type = resultType(node);
    if (!type || !('columns' in type)) return this.unsupported('an expression without a tabular type', node);
    return type.columns.map((c) => {
      const t = scalarTypeOf(c.type);
      if (!t) return this.unsupported(`column '${c.name}' of type ${c.type}`, node);
      return { name: c.name, type: t };
    });
  }
}

/**
 * `union isfuzzy=true` skips legs reading tables that do not exist. Kusto types the union without them, but the
 * binder types it with them (as `unknown` columns): the legs are blanked out of the text — spaces in place of their
 * characters, newlines kept, so every position stays where it was — and the query is bound again.
 */
function withoutMissingFuzzyLegs(text: string, catalog: Catalog | undefined): string {
  if (!/isfuzzy/i.test(text)) return text;
  const statements = analyzeKql(text, catalog).statements;
  const blanks: Array<[number, number]> = [];
  for (const union of statements.flatMap((s) => descendantsOfKind(s, 'UnionOperator'))) {
    const fuzzy = elements(union, 'Parameters').some((p) => textOf(must(p, 'Name'), 'SimpleName') === 'isfuzzy' && must(p, 'Expression').text.toLowerCase() === 'true');
    if (!fuzzy) continue;
    const legs = elements(union, 'Expressions');
    const missing = legs.map((leg) => unresolvedTables(leg).length > 0);
    if (!missing.some(Boolean) || missing.every(Boolean)) continue;
    const end = (leg: KNode): number => leg.start + leg.length;
    legs.forEach((leg, i) => {
      if (missing[i]) blanks.push([leg.start, end(leg)]);
      // The separator after leg i stays only between two kept legs: after a kept leg with a kept one further on.
      const next = legs[i + 1];
      if (next && (missing[i] || !missing.slice(i + 1).some((m) => !m))) blanks.push([end(leg), next.start]);
    });
  }
  if (blanks.length === 0) return text;
  const chars = text.split(''); // UTF-16 units, as the parser's offsets count
  for (const [start, end] of blanks) for (let i = start; i < end; i++) if (chars[i] !== '\n' && chars[i] !== '\r') chars[i] = ' ';
  return chars.join('');
}

function operatorName(kind: string): string {
  return kind.replace(/Operator$/, '').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

/** datatable values are typed by the column (a `long` column given `1.0`, an `int(null)` in a long column…). */
function coerceLiteral(e: Expr, type: ScalarType): Expr {
  if (e.k !== 'lit' || e.type === type) return e;
  if (e.value === null) return { ...e, type, value: type === 'string' ? '' : null };
  return { ...e, type };
}
