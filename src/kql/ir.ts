/**
 * The typed relational IR between Kusto.Language's bound tree and SQL.
 *
 * Relations carry their output columns (name + Kusto type) in order; scalar expressions carry their Kusto type.
 * Kusto semantics are explicit here, not left to the SQL engine: operators are Kusto's (`has`, `eq` with Kusto's
 * null rules, integer `div`, …) and each dialect states how to say them in SQL. Literals are values, never SQL text.
 *
 * Node kinds (`k`), for readers of the IR (the SQL generator, `explain`, the backtest planner):
 *
 *   relations   scan        read a stored table                    datatable  literal rows
 *               print       one computed row, no input             filter     keep rows whose predicate is true
 *               project     compute exactly `items`, in order      summarize  group by keys, aggregate
 *               join        Kusto join of a kind                   union      outer union by column name
 *               sort        order by keys                          limit      first n rows
 *               distinct    distinct values of `items`
 *               mvexpand    one row per element of dynamic arrays/bags (zipped), elements as `dynamic`
 *               makeseries  per group, arrays of aggregates over the bins of an axis, and the axis itself
 *               render      its input unchanged, with a chart hint for a UI (`render timechart with (…)`)
 *               range       one column of values from, from + step, … up to `to` (inclusive)
 *               topnested   hierarchical top values: per level, the top n groups of a key within each kept parent
 *   expressions col (a column of the input), lit (a value), call (a Kusto function or operator by name: see
 *               src/kql/functions/, the registry), case (first true `whens`, else `otherwise`), subquery (a
 *               relation as a value: toscalar, `in (T)`)
 *
 * Every node may carry `span`: where in the KQL text it comes from, so a refusal raised while writing SQL points at
 * its construct. Spans are information, not meaning: compare trees with `sameIr` (ir-walk.ts), not deep equality.
 *
 * Conventions that every producer and consumer relies on:
 * - datetime values are microseconds since the Unix epoch (UTC); timespans are microseconds (see docs/kql.md);
 * - a `string` expression never yields null (Kusto has no null string: absent is "");
 * - predicates built from Kusto's positive operators (eq, has, in, …) never yield null when one side is null;
 *   negated operators are `not(positive)`, which gives Kusto's results (`null != 5` is true).
 */
import type { Column, ScalarType } from './types.js';

/** A range of the KQL text: offset of the first character and length. */
export interface Span {
  readonly start: number;
  readonly length: number;
}

export type DynamicValue = null | boolean | number | string | DynamicValue[] | { [key: string]: DynamicValue };

export type LiteralValue = null | boolean | number | string | DynamicValue;

interface Located {
  readonly span?: Span;
}

export type Expr = Located & (
  | { readonly k: 'col'; readonly type: ScalarType; readonly name: string }
  /** A value; a dynamic literal also keeps its exact JSON text (`json`: a whole real keeps its `.0`). */
  | { readonly k: 'lit'; readonly type: ScalarType; readonly value: LiteralValue; readonly json?: string }
  /** A Kusto operator or function by name; the function registry (src/kql/functions/) says how to write it. */
  | { readonly k: 'call'; readonly type: ScalarType; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly k: 'case'; readonly type: ScalarType; readonly whens: ReadonlyArray<readonly [Expr, Expr]>; readonly otherwise: Expr }
  /**
   * A relation used as a value: `toscalar(T)` (its first column in its first row; null when it has no rows) or
   * the list of `x in (T)` (its first column). `type` is the first column's.
   */
  | { readonly k: 'subquery'; readonly type: ScalarType; readonly rel: Rel }
);

export interface NamedExpr {
  readonly name: string;
  readonly expr: Expr;
}

export interface Aggregate {
  readonly fn: string;
  readonly args: readonly Expr[];
  readonly type: ScalarType;
  readonly span?: Span;
}

/** One output column of a summarize: an aggregate, or one field of a multi-column aggregate (arg_max). */
export interface AggregateColumn {
  readonly name: string;
  readonly agg: Aggregate;
}

export type JoinKind =
  | 'innerunique' | 'inner' | 'leftouter' | 'rightouter' | 'fullouter'
  | 'leftsemi' | 'leftanti' | 'rightsemi' | 'rightanti';

export interface SortKey {
  readonly expr: Expr;
  readonly descending: boolean;
  readonly nullsFirst: boolean;
}

export type Rel = Located & (
  | { readonly k: 'scan'; readonly columns: readonly Column[]; readonly table: string }
  | { readonly k: 'datatable'; readonly columns: readonly Column[]; readonly rows: ReadonlyArray<readonly Expr[]> }
  /** One row computed from no input (`print`). */
  | { readonly k: 'print'; readonly columns: readonly Column[]; readonly items: readonly NamedExpr[] }
  | { readonly k: 'filter'; readonly columns: readonly Column[]; readonly input: Rel; readonly predicate: Expr }
  /**
   * Output exactly `items` in order (project, extend, project-away/-rename/-reorder, serialize, …). `order` is the
   * input rows' order, when items use functions of it (next, prev, row_number).
   */
  | {
      readonly k: 'project';
      readonly columns: readonly Column[];
      readonly input: Rel;
      readonly items: readonly NamedExpr[];
      readonly order?: readonly SortKey[];
    }
  /** Group by `keys` (by-columns first, then aggregates). No keys: exactly one row, even over no input. */
  | {
      readonly k: 'summarize';
      readonly columns: readonly Column[];
      readonly input: Rel;
      readonly keys: readonly NamedExpr[];
      readonly aggregates: readonly AggregateColumn[];
    }
  /**
   * `on` pairs left and right columns. Output: for semi/anti joins one side's columns; otherwise all left columns
   * then all right columns, right names as the binder gave them (clashes suffixed `1`).
   */
  | {
      readonly k: 'join';
      readonly columns: readonly Column[];
      readonly kind: JoinKind;
      readonly left: Rel;
      readonly right: Rel;
      /** Key pairs; `strict` pairs (from `join … where a == b`) do not match null to null. */
      readonly on: ReadonlyArray<{ readonly left: string; readonly right: string; readonly strict?: boolean }>;
    }
  /** Outer union by column name: each input supplies `columns` (missing ones are null, or "" for strings). */
  | { readonly k: 'union'; readonly columns: readonly Column[]; readonly inputs: readonly Rel[] }
  | { readonly k: 'sort'; readonly columns: readonly Column[]; readonly input: Rel; readonly keys: readonly SortKey[] }
  | { readonly k: 'limit'; readonly columns: readonly Column[]; readonly input: Rel; readonly count: number }
  | { readonly k: 'distinct'; readonly columns: readonly Column[]; readonly input: Rel; readonly items: readonly NamedExpr[] }
  /**
   * mv-expand: each input row becomes one row per element of the `expansions` (arrays zipped, the longest decides,
   * missing elements null; a null value gives one row, an empty array none; a property bag's members expand as
   * single-member bags, or as [key, value] arrays with `bagExpansion: 'array'`). Output: `columns` — the input
   * columns, each expansion's `name` (dynamic; it replaces an input column of that name) and `index` (long: the
   * element's position) when set. At most `limit` rows per input row.
   */
  | {
      readonly k: 'mvexpand';
      readonly columns: readonly Column[];
      readonly input: Rel;
      readonly expansions: readonly NamedExpr[];
      readonly bagExpansion: 'bag' | 'array';
      readonly limit?: number;
      readonly index?: string;
    }
  /**
   * make-series: rows are grouped by `keys` and by the bin of `axis` (`bin_at(axis, step, from)`, or `bin(axis,
   * step)` without `from`), keeping from ≤ axis < to. Each group becomes one row: the keys, one dynamic array per
   * aggregate over the bins from `from` (else the group's first bin) up to `to` (else its last bin) — a bin without
   * rows holds the aggregate's `fill` — and the axis as an array of the bins' starts. Without keys and with
   * `nonempty`, an empty input still gives one row of fills.
   */
  | {
      readonly k: 'makeseries';
      readonly columns: readonly Column[];
      readonly input: Rel;
      readonly keys: readonly NamedExpr[];
      readonly aggregates: ReadonlyArray<AggregateColumn & { readonly fill: Expr }>;
      readonly axis: NamedExpr;
      readonly from?: Expr;
      readonly to?: Expr;
      readonly step: Expr;
      readonly nonempty: boolean;
    }
  /** `range x from a to b step s`: a, a + s, … while not past b (inclusive); a negative step counts down. */
  | { readonly k: 'range'; readonly columns: readonly Column[]; readonly from: Expr; readonly to: Expr; readonly step: Expr }
  /**
   * top-nested: level 1 groups the rows by its key and keeps the `count` groups with the greatest (or smallest)
   * aggregate; each next level does the same within each kept group of the levels before. One row per kept path;
   * columns: each level's key and aggregate (`columns` names them).
   */
  | {
      readonly k: 'topnested';
      readonly columns: readonly Column[];
      readonly input: Rel;
      readonly levels: ReadonlyArray<{ readonly key: Expr; readonly agg: Aggregate; readonly count?: number; readonly descending: boolean }>;
    }
  /** `render`: the input's rows unchanged; the visualization and its properties are a hint for a UI. */
  | {
      readonly k: 'render';
      readonly columns: readonly Column[];
      readonly input: Rel;
      readonly visualization: string;
      readonly properties: Readonly<Record<string, string>>;
    }
);

export type RelKind = Rel['k'];
export type ExprKind = Expr['k'];

export const col = (name: string, type: ScalarType): Expr => ({ k: 'col', name, type });
export const lit = (value: LiteralValue, type: ScalarType): Expr => ({ k: 'lit', value, type });
export const call = (fn: string, type: ScalarType, ...args: Expr[]): Expr => ({ k: 'call', fn, type, args });
export const and = (...terms: Expr[]): Expr =>
  terms.length === 1 && terms[0] ? terms[0] : call('and', 'bool', ...terms);
export const or = (...terms: Expr[]): Expr => (terms.length === 1 && terms[0] ? terms[0] : call('or', 'bool', ...terms));
export const not = (e: Expr): Expr => call('not', 'bool', e);

export const isNullLiteral = (e: Expr): boolean => e.k === 'lit' && e.value === null;

/** The node with `span` set, unless it already has one (the innermost construct keeps its own position). */
export function located<T extends Located>(node: T, span: Span | undefined): T {
  return span === undefined || node.span !== undefined ? node : { ...node, span };
}
