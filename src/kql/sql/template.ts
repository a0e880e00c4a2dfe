/**
 * The shape of a SQL template: how one Kusto function or operator is written over a dialect's primitives.
 * Templates live in the function registry (src/kql/functions/); a dialect may replace one by name
 * (`Dialect.overrides`) when its engine needs a different spelling of the whole function.
 */
import type { Expr, Rel } from '../ir.js';
import type { ScalarType } from '../types.js';
import type { Dialect } from './dialect.js';

/** One argument: its IR (types, literal values) and its SQL (written when first read). */
export interface Arg {
  readonly e: Expr;
  readonly sql: string;
}

export interface SqlContext {
  readonly d: Dialect;
  /** The call's result type. */
  readonly type: ScalarType;
  /**
   * Only "is it true?" matters here (a WHERE condition, or an AND/OR operand there): a template may then give
   * false where Kusto gives null, which keeps predicates in the shape the engines push down.
   */
  readonly truth: boolean;
  /** The rows' order as an OVER clause body (`ORDER BY …`), where the operator has one (window functions). */
  readonly over?: string;
  /** Refuses a form the template cannot translate exactly (SMB001 at the call's position). */
  unsupported(what: string): never;
  /** SQL of any expression, e.g. an argument in a truth position. */
  sql(e: Expr, truth: boolean): string;
  /** For the restart argument of a row_number(start, restart) (by identity): the column partitioning its numbering. */
  partitionOf(restart: Expr): string | undefined;
  /** A SELECT of a relation's first column (for `x in (T)`), optionally transformed (`lower`). */
  firstColumn(rel: Rel, transform?: (column: string) => string): string;
}

export type SqlTemplate = (args: readonly Arg[], c: SqlContext) => string;

/** The i-th argument, or a refusal naming the missing one. */
export function arg(args: readonly Arg[], i: number, c: SqlContext): Arg {
  const a = args[i];
  if (!a) return c.unsupported(`a call with fewer than ${i + 1} arguments`);
  return a;
}

export const constantString = (a: Arg | undefined): string | undefined =>
  a?.e.k === 'lit' && typeof a.e.value === 'string' ? a.e.value : undefined;

export const constantNumber = (a: Arg | undefined): number | undefined =>
  a?.e.k === 'lit' && typeof a.e.value === 'number' ? a.e.value : undefined;

/** An argument made from SQL the template wrote itself, typed for the templates it is passed to. */
export const sqlArg = (sql: string, type: ScalarType): Arg => ({ sql, e: { k: 'col', name: '', type } });
