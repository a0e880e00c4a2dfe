/**
 * Series functions over dynamic arrays of numbers (the arrays make-series builds): `series_stats`,
 * `series_stats_dynamic`, and the fills `series_fill_const`, `series_fill_forward`, `series_fill_backward`.
 *
 * Statistics (series-stats-function): min, max, their first positions, avg, and the sample variance and standard
 * deviation (0 for fewer than two values, as the stdev/variance aggregates here); series_stats_dynamic adds sum and
 * len. By default a series holding a non-finite element (null, NaN, ±inf, or a non-number) gives null statistics;
 * with ignore_nonfinite = true those elements are skipped. The fills keep every element's own JSON (its type) and
 * replace only the missing ones (null by default, or the given placeholder).
 */
import { call, lit, type Expr } from '../ir.js';
import type { Dialect } from '../sql/dialect.js';
import { arg, constantString, type Arg, type SqlContext } from '../sql/template.js';
import { jsonScalar, whenArrays } from './dynamic.js';
import { operator, scalar, type CallSite, type ScalarFunction } from './types.js';

const STATS = ['min', 'min_idx', 'max', 'max_idx', 'avg', 'stdev', 'variance'] as const;
const DYNAMIC_STATS = ['min', 'min_idx', 'max', 'max_idx', 'avg', 'stdev', 'variance', 'sum', 'len'] as const;
type Stat = (typeof DYNAMIC_STATS)[number];

/** One statistic of a series, as SQL (null when the series is not an array, or holds a non-finite value unless ignored). */
function statSql(series: string, ignore: string, stat: Stat, d: Dialect): string {
  const all = '__sn';
  const finite = '__sf';
  const value = (): string => {
    switch (stat) {
      case 'min':
      case 'max':
      case 'avg':
        return d.arrayAggregate(stat, finite);
      case 'sum':
        return `coalesce(${d.arrayAggregate('sum', finite)}, 0)`;
      case 'min_idx':
      case 'max_idx':
        return `CASE WHEN ${d.arrayLength(finite)} > 0 THEN ${d.arrayIndexOf(all, d.arrayAggregate(stat === 'min_idx' ? 'min' : 'max', finite))} END`;
      case 'variance':
      case 'stdev':
        return `CASE WHEN ${d.arrayLength(finite)} > 1 THEN ${d.arrayAggregate(stat === 'variance' ? 'var_samp' : 'stddev_samp', finite)} WHEN ${d.arrayLength(finite)} = 1 THEN 0 END`;
      case 'len':
        return d.arrayLength(all);
    }
  };
  const body = stat === 'len' ? value() : `CASE WHEN NOT (${ignore}) AND ${d.arrayLength(finite)} < ${d.arrayLength(all)} THEN NULL ELSE ${value()} END`;
  return d.bind(d.jsonArrayNumbers(series), all, d.bind(d.arrayFilter(all, '__sv', `__sv IS NOT NULL AND ${d.isFinite('__sv')}`), finite, body));
}

/** The statistics of `series_stats` as one IR expression per output column (the binder names them). */
function statsColumns(site: CallSite): Expr[] {
  const [series, ignore] = site.args();
  if (!series) return site.unsupported('series_stats without a series');
  const ignoreExpr = ignore ?? lit(false, 'bool');
  return STATS.map((s) => call('series_stat', s.endsWith('_idx') ? 'long' : 'real', series, ignoreExpr, lit(s, 'string')));
}

/** JSON text of a number (null → null). */
const jsonNumber = (sql: string, d: Dialect): string => `coalesce(${d.numberText(sql)}, 'null')`;

/** An element is missing: JSON null, or equal to the given placeholder. */
function missing(e: string, placeholder: Arg | undefined, d: Dialect): string {
  if (!placeholder || (placeholder.e.k === 'lit' && placeholder.e.value === null)) return `(${e} IS NULL OR ${e} = 'null')`;
  return `(${e} IS NULL OR ${e} = 'null' OR (${d.jsonKind(e)} IN ('integer', 'real') AND ${d.tryCast(d.jsonToString(e), 'real')} = ${d.cast(placeholder.sql, 'real')}))`;
}

/** Each missing element replaced by the nearest present one before it (forward) or after it (backward). */
function fillDirection(a: readonly Arg[], c: SqlContext, forward: boolean): string {
  const { d } = c;
  const placeholder = a[1];
  const e = (i: string): string => d.arrayAt('__fe', i);
  const present = d.arrayFilter(d.arrayRange(d.arrayLength('__fe')), '__fj', `NOT ${missing(e('__fj'), placeholder, d)}`);
  const nearest = forward
    ? d.bind(d.arrayFilter('__fp', '__fk', '__fk < __fi'), '__fq', `CASE WHEN ${d.arrayLength('__fq')} > 0 THEN ${e(d.arrayAt('__fq', `${d.arrayLength('__fq')} - 1`))} END`)
    : d.bind(d.arrayFilter('__fp', '__fk', '__fk > __fi'), '__fq', `CASE WHEN ${d.arrayLength('__fq')} > 0 THEN ${e(d.arrayAt('__fq', '0'))} END`);
  const filled = d.arrayMap(d.arrayRange(d.arrayLength('__fe')), '__fi', `CASE WHEN ${missing(e('__fi'), placeholder, d)} THEN coalesce(${nearest}, ${e('__fi')}) ELSE ${e('__fi')} END`);
  return whenArrays([arg(a, 0, c)], d, d.bind(d.jsonArrayElements(arg(a, 0, c).sql), '__fe', d.bind(present, '__fp', d.jsonArrayFrom(filled))));
}

/**
 * series_add(a, b) and relatives: element by element over the longer array; an element that is missing (a shorter
 * array) or not a number gives null (series-add-function). Arithmetic is in doubles.
 */
function elementWise(name: string, op: (x: string, y: string) => string, bool = false): ScalarFunction {
  return scalar({
    name,
    sql: (a, c) => {
      const { d } = c;
      const [first, second] = [arg(a, 0, c), arg(a, 1, c)];
      const body = d.arrayMap(d.arrayRange(`greatest(${d.arrayLength('__ea')}, ${d.arrayLength('__eb')})`), '__ei',
        bool ? d.cast(op(d.arrayAt('__ea', '__ei'), d.arrayAt('__eb', '__ei')), 'bool') : op(d.arrayAt('__ea', '__ei'), d.arrayAt('__eb', '__ei')));
      return whenArrays([first, second], d, d.bind(d.jsonArrayNumbers(first.sql), '__ea', d.bind(d.jsonArrayNumbers(second.sql), '__eb', d.arrayToJson(body))));
    },
  });
}

/** series_abs(a) and relatives: a function of each element (null for an element that is not a number). */
function elementMap(name: string, op: (x: string) => string): ScalarFunction {
  return scalar({
    name,
    sql: (a, c) => whenArrays([arg(a, 0, c)], c.d, c.d.arrayToJson(c.d.arrayMap(c.d.jsonArrayNumbers(arg(a, 0, c).sql), '__em', op('__em')))),
  });
}

export const SERIES_FUNCTIONS: readonly ScalarFunction[] = [
  elementWise('series_add', (x, y) => `(${x} + ${y})`),
  elementWise('series_subtract', (x, y) => `(${x} - ${y})`),
  elementWise('series_multiply', (x, y) => `(${x} * ${y})`),
  elementWise('series_divide', (x, y) => `(${x} / ${y})`),
  elementWise('series_greater', (x, y) => `(${x} > ${y})`, true),
  elementWise('series_greater_equals', (x, y) => `(${x} >= ${y})`, true),
  elementWise('series_less', (x, y) => `(${x} < ${y})`, true),
  elementWise('series_less_equals', (x, y) => `(${x} <= ${y})`, true),
  elementWise('series_equals', (x, y) => `(${x} = ${y})`, true),
  elementWise('series_not_equals', (x, y) => `(${x} <> ${y})`, true),
  elementMap('series_abs', (x) => `abs(${x})`),
  elementMap('series_sign', (x) => `sign(${x})`),
  elementMap('series_floor', (x) => `floor(${x})`),
  elementMap('series_ceiling', (x) => `ceil(${x})`),
  scalar({
    // The sum of the numbers of an array (non-numbers skipped); 0 for none.
    name: 'series_sum',
    sql: (a, c) => whenArrays([arg(a, 0, c)], c.d, `coalesce(${c.d.arrayAggregate('sum', c.d.jsonArrayNumbers(arg(a, 0, c).sql))}, 0)`),
  }),
  scalar({ name: 'series_stats', columns: statsColumns }),
  operator({
    name: 'series_stat',
    sql: (a, c) => {
      const stat = constantString(a[2]) as Stat | undefined;
      if (!stat || !(DYNAMIC_STATS as readonly string[]).includes(stat)) return c.unsupported('this series statistic');
      return c.d.cast(whenArrays([arg(a, 0, c)], c.d, statSql(arg(a, 0, c).sql, arg(a, 1, c).sql, stat, c.d)), c.type);
    },
  }),
  scalar({
    name: 'series_stats_dynamic',
    sql: (a, c) => {
      const { d } = c;
      const series = arg(a, 0, c).sql;
      const ignore = a[1]?.sql ?? d.bool(false);
      const fields = DYNAMIC_STATS.map((s) => `'"${s}":' || ${jsonNumber(statSql(series, ignore, s, d), d)}`);
      return d.cast(whenArrays([arg(a, 0, c)], d, `'{' || ${fields.join(" || ',' || ")} || '}'`), 'dynamic');
    },
  }),
  scalar({
    name: 'series_fill_const',
    sql: (a, c) => {
      const { d } = c;
      const value = jsonScalar(arg(a, 1, c), c);
      const filled = d.arrayMap('__ce', '__cx', `CASE WHEN ${missing('__cx', a[2], d)} THEN ${value} ELSE __cx END`);
      return whenArrays([arg(a, 0, c)], d, d.bind(d.jsonArrayElements(arg(a, 0, c).sql), '__ce', d.jsonArrayFrom(filled)));
    },
  }),
  scalar({ name: 'series_fill_forward', sql: (a, c) => fillDirection(a, c, true) }),
  scalar({ name: 'series_fill_backward', sql: (a, c) => fillDirection(a, c, false) }),
];
