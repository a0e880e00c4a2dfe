/**
 * Aggregation functions of `summarize` (kusto-semantics.md §5): Kusto's results over no values (`sum` 0, `avg`
 * NaN, `min`/`max` null, `make_set` []), nulls ignored, `count(expr)` counting rows (§15 Q6).
 *
 * The generic templates here are standard SQL; engines that spell one differently override it by name
 * (`Dialect.overrides.aggregates`).
 */
import { lit, type Aggregate, type Expr } from '../ir.js';
import { columnsRead } from '../ir-walk.js';
import { arg, type Arg, type SqlContext } from '../sql/template.js';
import { typedArrayJson } from './dynamic.js';
import { aggregate, type AggregateFunction, type AggregateSite } from './types.js';

/** arg_max(by, c1, c2) / arg_max(by, *): the maximized expression, then the listed columns or all the others. */
function argExtremeValues(site: Omit<AggregateSite, 'names' | 'types'>, by: Expr): Expr[] {
  const rest = site.argNodes.slice(1);
  if (rest.length === 1 && rest[0]?.kind === 'StarExpression') {
    const exclude = new Set(site.keys);
    if (by.k === 'col') exclude.add(by.name);
    return site.input.filter((c) => !exclude.has(c.name)).map((c): Expr => ({ k: 'col', name: c.name, type: c.type }));
  }
  return rest.map((n) => site.scalar(n));
}

function argExtreme(name: 'arg_max' | 'arg_min'): AggregateFunction {
  const byOf = (site: Omit<AggregateSite, 'names' | 'types'>): Expr => {
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

/**
 * make_set / make_list and their `_if` forms: (expr [, predicate] [, maxSize]). The size limit must be a constant
 * positive integer; which elements a limited set keeps is unspecified in Kusto (here: the smallest, the set being
 * sorted; a list keeps the first ones in input order). The IR keeps the arguments as written; the dialects'
 * overrides write them.
 */
function collection(name: 'make_set' | 'make_list' | 'make_set_if' | 'make_list_if'): AggregateFunction {
  return aggregate({
    name,
    build: (site) => {
      const args = site.args();
      const limitAt = name.endsWith('_if') ? 2 : 1;
      const limit = args[limitAt];
      if (limit && (limit.k !== 'lit' || typeof limit.value !== 'number' || !Number.isInteger(limit.value) || limit.value < 1)) {
        return site.unsupported(`${name} with a size limit that is not a constant positive integer`);
      }
      return [{ fn: name, args, type: site.type }];
    },
  });
}

/** A percentage must not depend on the row (Kusto requires a constant). */
function percentage(site: AggregateSite | Omit<AggregateSite, 'names' | 'types'>, e: Expr | undefined, what: string): Expr {
  if (!e || columnsRead([e]).length > 0) return site.unsupported(`${what} with a percentage computed from columns`);
  return e;
}

/** The percentages of percentiles_array: listed, or the elements of a constant dynamic array. */
function percentagesOf(site: AggregateSite, args: readonly Expr[]): Expr[] {
  return args.flatMap((p) => {
    if (p.type !== 'dynamic') return [percentage(site, p, 'percentiles_array')];
    if (p.k !== 'lit' || !Array.isArray(p.value)) return site.unsupported('percentiles_array with a computed dynamic array of percentages');
    return p.value.map((v) => {
      if (typeof v !== 'number') return site.unsupported('percentiles_array with a percentage that is not a number');
      return lit(v, 'real');
    });
  });
}

/** Exact nearest-rank percentile (docs/kql.md): the engines spell it in their overrides. */
export function percentileSql(x: Arg, p: Arg, c: SqlContext): string {
  const template = c.d.overrides.aggregates.percentile;
  if (!template) return c.unsupported(`percentile on ${c.d.label}`);
  return template([x, p], c);
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
  // Exact, where Kusto estimates (HyperLogLog; docs/kql.md): the accuracy argument changes nothing here.
  aggregate({ name: 'dcount', sql: (a, c) => `count(DISTINCT ${arg(a, 0, c).sql})` }),
  aggregate({ name: 'dcountif', sql: (a, c) => `count(DISTINCT CASE WHEN ${arg(a, 1, c).sql} THEN ${arg(a, 0, c).sql} END)` }),
  aggregate({ name: 'count_distinct', sql: (a, c) => `count(DISTINCT ${arg(a, 0, c).sql})` }),
  // Engines differ in how lists are built: see the dialects' overrides.
  collection('make_set'),
  collection('make_list'),
  collection('make_set_if'),
  collection('make_list_if'),
  aggregate({ name: 'stdev' }),
  aggregate({ name: 'variance' }),
  aggregate({
    name: 'percentile',
    build: (site) => {
      const [x, p] = site.args();
      return [{ fn: 'percentile', args: [x ?? site.unsupported('percentile without a value'), percentage(site, p, 'percentile')], type: site.type }];
    },
  }),
  aggregate({
    name: 'percentiles',
    width: (site) => site.argNodes.length - 1,
    build: (site) => {
      const [x, ...ps] = site.args();
      if (!x) return site.unsupported('percentiles without a value');
      return ps.map((p, i) => ({ fn: 'percentile', args: [x, percentage(site, p, 'percentiles')], type: site.types[i] ?? x.type }));
    },
  }),
  aggregate({
    name: 'percentiles_array',
    build: (site) => {
      const [x, ...ps] = site.args();
      if (!x) return site.unsupported('percentiles_array without a value');
      return [{ fn: 'percentiles_array', args: [x, ...percentagesOf(site, ps)], type: 'dynamic' }];
    },
    sql: (a, c) => {
      const [x, ...ps] = a;
      if (!x) return c.unsupported('percentiles_array without a value');
      const context = { ...c, type: x.e.type };
      return typedArrayJson(`[${ps.map((p) => c.d.cast(percentileSql(x, p, context), x.e.type)).join(', ')}]`, x.e.type, c.d);
    },
  }),
  // take_any(x): an arbitrary value in Kusto, preferring non-null, non-empty ones; here the smallest such value.
  aggregate({
    name: 'take_any',
    width: (site) => takeAnyValues(site).length,
    build: (site) => {
      const values = takeAnyValues(site);
      if (values.length === 1 && values[0]) return [{ fn: 'take_any', args: values, type: values[0].type }];
      // Several values come from one row (docs): here the smallest row, as a tuple, field by field.
      return values.map((v, i) => ({ fn: 'take_any_row', args: [lit(i, 'long'), ...values], type: v.type }));
    },
    sql: (a, c) => {
      const x = arg(a, 0, c);
      return x.e.type === 'string' ? `coalesce(min(nullif(${x.sql}, '')), '')` : `min(${x.sql})`;
    },
  }),
  aggregate({
    name: 'take_any_row',
    sql: (a, c) => {
      const [index, ...values] = a;
      const i = index?.e.k === 'lit' && typeof index.e.value === 'number' ? index.e.value : c.unsupported('take_any_row without a field');
      return c.d.tupleGet(`min(${c.d.tuple(values.map((v) => v.sql))})`, i);
    },
  }),
  argExtreme('arg_max'),
  argExtreme('arg_min'),
];

/** take_any(e1, e2, …) or take_any(*): the expressions, or every input column but the `by` ones. */
function takeAnyValues(site: Omit<AggregateSite, 'names' | 'types'>): Expr[] {
  if (site.argNodes.length === 1 && site.argNodes[0]?.kind === 'StarExpression') {
    const exclude = new Set(site.keys);
    return site.input.filter((c) => !exclude.has(c.name)).map((c): Expr => ({ k: 'col', name: c.name, type: c.type }));
  }
  return site.args();
}
