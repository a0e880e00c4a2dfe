/**
 * Traversal of the IR (ir.ts), written once so that code reading plans — the SQL generator, `query` deciding
 * whether a store is needed, the backtest planner, `explain` — does not each re-list which node has which inputs.
 * A new relation kind is added here and in the generator; its readers then keep working.
 */
import type { Expr, NamedExpr, Rel } from './ir.js';

/** The relations a node reads, left to right. */
export function inputsOf(rel: Rel): Rel[] {
  switch (rel.k) {
    case 'scan':
    case 'datatable':
    case 'print':
    case 'range':
      return [];
    case 'join':
      return [rel.left, rel.right];
    case 'union':
      return [...rel.inputs];
    case 'filter':
    case 'project':
    case 'summarize':
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'mvexpand':
    case 'makeseries':
    case 'render':
    case 'topnested':
      return [rel.input];
  }
}

/** The node with each input replaced by `f(input)`; the node itself when nothing changed. */
export function mapInputs(rel: Rel, f: (input: Rel) => Rel): Rel {
  switch (rel.k) {
    case 'scan':
    case 'datatable':
    case 'print':
    case 'range':
      return rel;
    case 'join': {
      const left = f(rel.left);
      const right = f(rel.right);
      return left === rel.left && right === rel.right ? rel : { ...rel, left, right };
    }
    case 'union': {
      const inputs = rel.inputs.map(f);
      return inputs.every((input, i) => input === rel.inputs[i]) ? rel : { ...rel, inputs };
    }
    case 'filter':
    case 'project':
    case 'summarize':
    case 'sort':
    case 'limit':
    case 'distinct':
    case 'mvexpand':
    case 'makeseries':
    case 'render':
    case 'topnested': {
      const input = f(rel.input);
      return input === rel.input ? rel : { ...rel, input };
    }
  }
}

/** Relations a node's expressions use as values (toscalar, `in (T)`). */
export function subqueriesOf(rel: Rel): Rel[] {
  const found: Rel[] = [];
  for (const e of exprsOf(rel)) forEachExpr(e, (x) => (x.k === 'subquery' ? found.push(x.rel) : undefined));
  return found;
}

/** Visits every relation of a tree — inputs and subqueries — parents first. */
export function forEachRel(rel: Rel, visit: (rel: Rel) => void): void {
  visit(rel);
  for (const input of [...inputsOf(rel), ...subqueriesOf(rel)]) forEachRel(input, visit);
}

/** True when some relation of the tree (inputs and subqueries) satisfies `test`. */
export function someRel(rel: Rel, test: (rel: Rel) => boolean): boolean {
  return test(rel) || [...inputsOf(rel), ...subqueriesOf(rel)].some((input) => someRel(input, test));
}

/** The scalar expressions a node itself holds (not those of its inputs), in source order. */
export function exprsOf(rel: Rel): Expr[] {
  const items = (list: readonly NamedExpr[]): Expr[] => list.map((i) => i.expr);
  switch (rel.k) {
    case 'scan':
    case 'union':
    case 'limit':
    case 'join':
    case 'render':
      return [];
    case 'datatable':
      return rel.rows.flat();
    case 'print':
    case 'distinct':
      return items(rel.items);
    case 'project':
      return [...items(rel.items), ...(rel.order ?? []).map((k) => k.expr)];
    case 'filter':
      return [rel.predicate];
    case 'summarize':
      return [...items(rel.keys), ...rel.aggregates.flatMap((a) => a.agg.args)];
    case 'sort':
      return rel.keys.map((k) => k.expr);
    case 'mvexpand':
      return items(rel.expansions);
    case 'range':
      return [rel.from, rel.to, rel.step];
    case 'topnested':
      return rel.levels.flatMap((l) => [l.key, ...l.agg.args]);
    case 'makeseries':
      return [
        ...items(rel.keys), rel.axis.expr, ...rel.aggregates.flatMap((a) => [...a.agg.args, a.fill]),
        ...(rel.from ? [rel.from] : []), ...(rel.to ? [rel.to] : []), rel.step,
      ];
  }
}

/** The direct sub-expressions of an expression. */
export function exprChildren(e: Expr): Expr[] {
  switch (e.k) {
    case 'col':
    case 'lit':
    case 'subquery':
      return [];
    case 'call':
      return [...e.args];
    case 'case':
      return [...e.whens.flatMap(([w, v]) => [w, v]), e.otherwise];
  }
}

/** Visits an expression and all its sub-expressions, parents first. */
export function forEachExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  for (const c of exprChildren(e)) forEachExpr(c, visit);
}

/** Names of the columns an expression (or several) reads. */
export function columnsRead(exprs: readonly Expr[]): string[] {
  const names: string[] = [];
  for (const e of exprs) forEachExpr(e, (x) => (x.k === 'col' ? names.push(x.name) : undefined));
  return names;
}

/** A JSON.stringify replacer that leaves spans out: for keys and comparisons of plans by meaning. */
export function withoutSpans(key: string, value: unknown): unknown {
  return key === 'span' ? undefined : value;
}

/** Whether two IR values mean the same, whatever their spans. */
export function sameIr(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, withoutSpans) === JSON.stringify(b, withoutSpans);
}
