/**
 * What one entry of the function registry says about a Kusto function (or an IR operator such as `eq`, `has`):
 * how the front end turns a call into IR (`build`, optional: by default the call is kept as is) and how SQL says it
 * (`sql`, a template over the dialect primitives; a dialect may override it by name). One entry per function —
 * adding a function is adding an entry to one of the area modules listed in registry.ts.
 */
import type { KNode } from '../kusto.js';
import type { Aggregate, Expr } from '../ir.js';
import type { Capability } from '../sql/dialect.js';
import type { SqlTemplate } from '../sql/template.js';
import type { Column, ScalarType } from '../types.js';

/** The front end's view of one call, for `build` hooks. */
export interface CallSite {
  readonly name: string;
  readonly node: KNode;
  /** The binder's result type of the call. */
  readonly type: ScalarType;
  /** Argument syntax nodes (`name = value` unwrapped), in call order. */
  readonly argNodes: readonly KNode[];
  /** The arguments as IR, built in the caller's scope. */
  args(): Expr[];
  /** Any syntax node as IR, in the caller's scope. */
  scalar(node: KNode): Expr;
  /** Refuses the call (or one of its parts): SMB001 pointing at it. */
  unsupported(what: string, node?: KNode): never;
  /** The query's single `now()`, microseconds since the epoch. */
  readonly now: number;
  /** The constant the binder folded an argument to (as Kusto prints it), if any. */
  constantText(node: KNode): string | null | undefined;
  /** The type named by a `typeof(T)` argument. */
  typeArgument(node: KNode): ScalarType | undefined;
  /**
   * A column visible to the call: one defined earlier in the same operator, else the operator input's column
   * (typed as the call), else undefined.
   */
  column(name: string): Expr | undefined;
  /** A value computed once per row and shared by the call's columns (Builder.shareOnce); only in extend/project. */
  once(expr: Expr): Expr;
}

/** The front end's view of one aggregate call in `summarize`. */
export interface AggregateSite extends Omit<CallSite, 'column' | 'once'> {
  /** The output column names this aggregate fills (one unless `width` says more), and their binder types. */
  readonly names: readonly string[];
  readonly types: readonly ScalarType[];
  /** The summarize's input columns and its `by` column names (`arg_max(x, *)` expands to the others). */
  readonly input: readonly Column[];
  readonly keys: readonly string[];
}

export interface ScalarFunction {
  readonly kind: 'scalar';
  /** The Kusto name (or the IR operator name). */
  readonly name: string;
  /** Other Kusto names of the same function (`iif` for `iff`); calls are recorded under `name`. */
  readonly aliases?: readonly string[];
  /** An IR operator (eq, has, add, …): written by the builder for Kusto syntax, not callable by name. */
  readonly operator?: boolean;
  /** Front end: the call as IR. Without it, `call(name, binderType, ...args)`. */
  readonly build?: (site: CallSite) => Expr;
  /**
   * Front end, for a function returning several columns (`extend (a, b) = series_stats(x)`; the binder types it as
   * a tuple): one IR expression per column, in the binder's order.
   */
  readonly columns?: (site: CallSite) => Expr[];
  /** Back end: SQL with Kusto's semantics. Absent when `build` or `columns` always lowers the call to other IR. */
  readonly sql?: SqlTemplate;
  /** The result is never null (predicates such as `has`): lets `==` and `in` skip their null handling. */
  readonly neverNull?: boolean;
  /** Engine capabilities the SQL needs; on an engine without one the call is refused. */
  readonly requires?: readonly Capability[];
  /** Reads other rows in the rows' order (next, prev, row_number): the operator holding it needs sorted input. */
  readonly window?: boolean;
}

export interface AggregateFunction {
  readonly kind: 'aggregate';
  readonly name: string;
  readonly aliases?: readonly string[];
  /** How many output columns the call fills (arg_max(x, a, b) fills three). Default 1. */
  readonly width?: (site: Omit<AggregateSite, 'names' | 'types'>) => number;
  /** Front end: the aggregate(s), one per output column. Without it, one aggregate of the arguments. */
  readonly build?: (site: AggregateSite) => Aggregate[];
  /** Back end: the aggregate's SQL; the generator casts it to the aggregate's type. */
  readonly sql?: SqlTemplate;
  readonly requires?: readonly Capability[];
}

export type FunctionDef = ScalarFunction | AggregateFunction;

/** Entry constructors: they only fix `kind`, so an area module reads as a table. */
export const scalar = (def: Omit<ScalarFunction, 'kind'>): ScalarFunction => ({ kind: 'scalar', ...def });
export const operator = (def: Omit<ScalarFunction, 'kind' | 'operator'>): ScalarFunction => ({ kind: 'scalar', operator: true, ...def });
export const aggregate = (def: Omit<AggregateFunction, 'kind'>): AggregateFunction => ({ kind: 'aggregate', ...def });
