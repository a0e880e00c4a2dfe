/**
 * Aggregation functions of `summarize` (kusto-semantics.md §5): Kusto's results over no values (`sum` 0, `avg`
 * NaN, `min`/`max` null, `make_set` []), nulls ignored, `count(expr)` counting rows (§15 Q6).
 *
 * The generic templates here are standard SQL; engines that spell one differently override it by name
 * (`Dialect.overrides.aggregates`).
 */
import type { Aggregate, Expr } from '../ir.js';
import { arg } from '../sql/template.js';
import { aggregate, type AggregateFunction, type AggregateSite } from './types.js';

/** arg_max(by, c1, c2) / arg_max(by, *): the maximized expression, then the listed columns or all the others. */
function argExtremeValues(site: Omit<AggregateSite, 'names'>, by: Expr): Expr[] {
  const rest = site.argNodes.slice(1);
  if (rest.length === 1 && rest[0]?.kind === 'StarExpression') {
    const exclude = new Set(site.keys);
    if (by.k === 'col') exclude.add(by.name);
    return site.input.filter((c) => !exclude.has(c.name)).map((c): Expr => ({ k: 'col', name: c.name, type: c.type }));
  }
  return rest.map((n) => site.scalar(n));
}

function argExtreme(name: 'arg_max' | 'arg_min'): AggregateFunction {
  const byOf = (site: Omit<AggregateSite, 'names'>): Expr => {
    const byNode = site.argNodes[0];
    if (!byNode) return site.unsupported(`${name} without arguments`);
    return site.scalar(byNode);
  };
  return aggregate({
    name,
    width: (site) => {
      const rest = site.argNodes.slice(1);
      if (rest.length === 1 && rest[0]?.kind === 'StarExpression') return argExtremeValues(site, byOf(site)).length + 1;
      return rest.length + 1;
    },
    // One aggregate per output column: the row with the extreme `by` gives each of them.
    build: (site) => {
      const by = byOf(site);
      return [by, ...argExtremeValues(site, by)].map((value): Aggregate => ({ fn: name, args: [value, by], type: value.type }));
    },
  });
}

function withoutSizeLimit(name: string): (site: AggregateSite) => Aggregate[] {
  return (site) => {
    const args = site.args();
    if (args.length > 1) return site.unsupported(`${name} with a size limit`);
    return [{ fn: name, args, type: site.type }];
  };
}

export const AGGREGATE_FUNCTIONS: readonly AggregateFunction[] = [
  // count(expr) counts rows like count() (§15 Q6).
  aggregate({ name: 'count', sql: () => 'count(*)' }),
  aggregate({ name: 'countif', sql: (a, c) => `count(CASE WHEN ${arg(a, 0, c).sql} THEN 1 END)` }),
  aggregate({ name: 'sum', sql: (a, c) => `coalesce(sum(${arg(a, 0, c).sql}), 0)` }),
  aggregate({ name: 'sumif', sql: (a, c) => `coalesce(sum(CASE WHEN ${arg(a, 1, c).sql} THEN ${arg(a, 0, c).sql} END), 0)` }),
  // Kusto's avg over no values is NaN (§15 Q10); SQL gives NULL.
  aggregate({ name: 'avg', sql: (a, c) => `coalesce(avg(${arg(a, 0, c).sql}), ${c.d.nan()})` }),
  aggregate({ name: 'avgif', sql: (a, c) => `coalesce(avg(CASE WHEN ${arg(a, 1, c).sql} THEN ${arg(a, 0, c).sql} END), ${c.d.nan()})` }),
  aggregate({ name: 'min', sql: (a, c) => `min(${arg(a, 0, c).sql})` }),
  aggregate({ name: 'max', sql: (a, c) => `max(${arg(a, 0, c).sql})` }),
  // Exact, where Kusto estimates (documented in docs/kql.md).
  aggregate({ name: 'dcount', sql: (a, c) => `count(DISTINCT ${arg(a, 0, c).sql})` }),
  aggregate({ name: 'dcountif', sql: (a, c) => `count(DISTINCT CASE WHEN ${arg(a, 1, c).sql} THEN ${arg(a, 0, c).sql} END)` }),
  // Engines differ in how lists are built: see the dialects' overrides.
  aggregate({ name: 'make_set', build: withoutSizeLimit('make_set') }),
  aggregate({ name: 'make_list', build: withoutSizeLimit('make_list') }),
  aggregate({ name: 'stdev' }),
  aggregate({ name: 'variance' }),
  aggregate({
    name: 'percentile',
    build: (site) => {
      const args = site.args();
      if (args[1]?.k !== 'lit') return site.unsupported('percentile with a non-constant percentage');
      return [{ fn: 'percentile', args, type: site.type }];
    },
  }),
  argExtreme('arg_max'),
  argExtreme('arg_min'),
];
