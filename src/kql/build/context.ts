/**
 * What the parts of the IR builder share: the lexical environment of `let`s, the scope of an operator's columns,
 * and the builder's interface that operator and scalar builders call back into. build.ts implements it.
 */
import type { Catalog } from '../catalog.js';
import type { KNode, KResultType } from '../kusto.js';
import type { Expr, Rel } from '../ir.js';
import { scalarTypeOf, type Column, type ScalarType } from '../types.js';
import { elements, must, resultType, textOf } from '../kusto.js';

export type Binding =
  | { readonly k: 'scalar'; readonly expr: Expr }
  | { readonly k: 'tabular'; readonly rel: Rel }
  | { readonly k: 'function' };

/** Lexical environment: `let` names visible at a point. Copied on extension, so closures see their definition. */
export type Env = ReadonlyMap<string, Binding>;

/** Columns visible to a scalar expression; names defined earlier in the same operator are substituted. */
export type Scope = ReadonlyMap<string, Expr>;

export interface BuildOptions {
  /** The query's single `now()`, in microseconds since the epoch (UTC). */
  readonly now: number;
  /**
   * A scheduled rule's look-back (microseconds): every read of the ASIM table sees only
   * `now − lookback ≤ TimeGenerated ≤ now`, as Sentinel applies a rule's query period (seed-rule.md §3 item 3).
   * Absent for ad-hoc queries.
   */
  readonly lookback?: number;
  /** Tables, stored functions and watchlists beyond the ASIM table (catalog.ts). */
  readonly catalog?: Catalog;
}

/** The builder as its parts see it. */
export interface Builder {
  readonly text: string;
  readonly options: BuildOptions;
  /** Refuses a construct: SMB001 naming it and pointing at the node. */
  unsupported(construct: string, node: KNode): never;
  tabular(node: KNode, env: Env): Rel;
  scalar(node: KNode, env: Env, scope: Scope): Expr;
  /** The binder's output columns of a tabular node. */
  columnsOf(node: KNode): Column[];
  /** A call to a let-defined function, its body built by `build` with the parameters bound. */
  expandFunction<T>(node: KNode, env: Env, build: (body: KNode, env: Env) => T): T;
  /** A parameterless let function referenced without parentheses. */
  expandFunctionReference<T>(node: KNode, env: Env, build: (body: KNode, env: Env) => T): T;
  /** Columns of the operator input being built (column_ifexists looks here). */
  readonly inputColumns: readonly Column[];
  /** Relations named by `as` earlier in the query, and the names `union withsource=` reports. */
  readonly asNames: Map<string, Rel>;
  readonly legNames: WeakMap<Rel, string>;
  /**
   * A value several output columns of one call use (the result bag of series_decompose_anomalies): computed once
   * per row, in a column the operator adds under its input (`takeShared`), and referenced by the returned column.
   */
  shareOnce(expr: Expr): Expr;
  /** The shared values registered since `mark` (and forgets them). */
  takeShared(mark: number): Array<{ readonly name: string; readonly expr: Expr }>;
  /** The position to pass to `takeShared` for what comes next. */
  sharedMark(): number;
}

export function isTabularType(type: KResultType | undefined): boolean {
  return type !== undefined && 'columns' in type;
}

export function scalarOf(type: KResultType | undefined): ScalarType | undefined {
  return type && 'scalar' in type ? scalarTypeOf(type.scalar) : undefined;
}

export function describeType(type: KResultType | undefined): string {
  if (!type) return 'unknown';
  return 'scalar' in type ? type.scalar : 'tuple' in type ? 'tuple' : 'table';
}

export function functionName(node: KNode): string {
  return textOf(must(node, 'Name'), 'SimpleName');
}

/** `name = expr` and `(a, b) = expr` → expr; anything else unchanged. */
export function unnamed(node: KNode): KNode {
  return node.kind === 'SimpleNamedExpression' || node.kind === 'CompoundNamedExpression' ? must(node, 'Expression') : node;
}

/** The names given by `(a, b) = expr` (in order), or none. */
export function compoundNames(node: KNode): string[] {
  if (node.kind !== 'CompoundNamedExpression') return [];
  return elements(must(node, 'Names'), 'Names').map((n) => textOf(n, 'SimpleName'));
}

/** How many columns an extend/project item fills: the tuple's width for a multi-column call, else 1. */
export function itemWidth(node: KNode): number {
  const type = resultType(unnamed(node));
  return type && 'tuple' in type ? type.tuple.length : 1;
}

export function explicitName(node: KNode): string | undefined {
  if (node.kind === 'SimpleNamedExpression') return textOf(must(node, 'Name'), 'SimpleName');
  if (node.kind === 'NameReference') return textOf(node, 'SimpleName');
  return undefined;
}

/** The position of a syntax node, for the IR. */
export function spanOf(node: KNode): { start: number; length: number } {
  return { start: node.start, length: Math.max(1, node.length) };
}
