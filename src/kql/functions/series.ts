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

/** JSON text of a statistic (null → null): reals keep the `.0` of whole values. */
const jsonNumber = (sql: string, stat: Stat, d: Dialect): string =>
  `coalesce(${['min_idx', 'max_idx', 'len'].includes(stat) ? d.numberText(sql) : d.realJson(sql)}, 'null')`;

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

/** A JSON element as a number (NULL when it is not one) and its kind. */
const asNumber = (e: string, d: Dialect): string => d.tryCast(d.jsonToString(e), 'real');
const isInteger = (e: string, d: Dialect): string => `${d.jsonKind(e)} = 'integer'`;
const isNumber = (e: string, d: Dialect): string => `${d.jsonKind(e)} IN ('integer', 'real')`;

/**
 * series_add(a, b) and relatives: element by element over the longer array; an element that is missing (a shorter
 * array) or not a number gives null (series-add-function). Two integers give an integer (the docs' [5,4,5]),
 * otherwise a real; `series_divide` always a real; comparisons booleans.
 */
function elementWise(name: string, op: string, result: 'number' | 'real' | 'bool'): ScalarFunction {
  return scalar({
    name,
    sql: (a, c) => {
      const { d } = c;
      const [first, second] = [arg(a, 0, c), arg(a, 1, c)];
      const [x, y] = [d.arrayAt('__ea', '__ei'), d.arrayAt('__eb', '__ei')];
      const numbers = `${isNumber(x, d)} AND ${isNumber(y, d)}`;
      const real = `(${asNumber(x, d)} ${op} ${asNumber(y, d)})`;
      const element = result === 'bool'
        ? `CASE WHEN ${numbers} THEN CASE WHEN ${real} THEN 'true' ELSE 'false' END ELSE 'null' END`
        : result === 'number'
          ? `CASE WHEN ${isInteger(x, d)} AND ${isInteger(y, d)} THEN ${d.integerToString(`(${d.tryCast(x, 'long')} ${op} ${d.tryCast(y, 'long')})`)}` +
            ` WHEN ${numbers} THEN coalesce(${d.realJson(real)}, 'null') ELSE 'null' END`
          : `CASE WHEN ${numbers} THEN coalesce(${d.realJson(real)}, 'null') ELSE 'null' END`;
      const body = d.arrayMap(d.arrayRange(`greatest(${d.arrayLength('__ea')}, ${d.arrayLength('__eb')})`), '__ei', element);
      return whenArrays([first, second], d, d.bind(d.jsonArrayElements(first.sql), '__ea', d.bind(d.jsonArrayElements(second.sql), '__eb', d.jsonArrayFrom(body))));
    },
  });
}

/** series_abs(a) and relatives: a function of each number (an integer stays an integer); null for other elements. */
function elementMap(name: string, op: (x: string) => string): ScalarFunction {
  return scalar({
    name,
    sql: (a, c) => {
      const { d } = c;
      const element = `CASE WHEN ${isInteger('__em', d)} THEN ${d.integerToString(d.cast(op(d.tryCast('__em', 'long')), 'long'))}` +
        ` WHEN ${isNumber('__em', d)} THEN coalesce(${d.realJson(op(asNumber('__em', d)))}, 'null') ELSE 'null' END`;
      return whenArrays([arg(a, 0, c)], d, d.jsonArrayFrom(d.arrayMap(d.jsonArrayElements(arg(a, 0, c).sql), '__em', element)));
    },
  });
}

/**
 * series_fill_linear(series [, placeholder [, fill_edges [, constant]]]) (series-fill-linear-function): a missing
 * element between two present ones is interpolated linearly — truncated toward zero when every present element is
 * an integer (the docs: 73.5 → 73, 32.667 → 32), else a real; missing elements at the ends take the nearest present
 * value when fill_edges (default true); a series with no present element is filled with the constant (default 0).
 * Present elements keep their own JSON.
 */
function fillLinear(a: readonly Arg[], c: SqlContext): string {
  const { d } = c;
  const placeholder = a[1];
  const edges = a[2] ? a[2].sql : d.bool(true);
  const constant = a[3] ? jsonScalar(a[3], c) : "'0.0'";
  const e = (i: string): string => d.arrayAt('__le', i);
  const x = (i: string): string => d.tryCast(d.jsonToString(e(i)), 'real');
  const present = d.arrayFilter(d.arrayRange(d.arrayLength('__le')), '__lj', `NOT ${missing(e('__lj'), placeholder, d)}`);
  const integers = `${d.arrayLength(d.arrayFilter('__lp', '__lk', `${d.jsonKind(e('__lk'))} <> 'integer'`))} = 0`;
  const interpolated = `${x('__lb')} + (${x('__la')} - ${x('__lb')}) * (__li - __lb) / (__la - __lb)`;
  const between = `CASE WHEN ${integers} THEN ${d.integerToString(d.tryCast(`trunc(${interpolated})`, 'long'))} ELSE coalesce(${d.realJson(interpolated)}, 'null') END`;
  const before = d.bind(d.arrayFilter('__lp', '__lk', '__lk < __li'), '__lq', `CASE WHEN ${d.arrayLength('__lq')} > 0 THEN ${d.arrayAt('__lq', `${d.arrayLength('__lq')} - 1`)} END`);
  const after = d.bind(d.arrayFilter('__lp', '__lk', '__lk > __li'), '__lq', `CASE WHEN ${d.arrayLength('__lq')} > 0 THEN ${d.arrayAt('__lq', '0')} END`);
  const fill = d.bind(before, '__lb', d.bind(after, '__la',
    `CASE WHEN __lb IS NOT NULL AND __la IS NOT NULL THEN ${between}` +
    ` WHEN __la IS NOT NULL THEN CASE WHEN ${edges} THEN ${e('__la')} ELSE ${e('__li')} END` +
    ` WHEN __lb IS NOT NULL THEN CASE WHEN ${edges} THEN ${e('__lb')} ELSE ${e('__li')} END` +
    ` ELSE ${constant} END`));
  const filled = d.arrayMap(d.arrayRange(d.arrayLength('__le')), '__li', `CASE WHEN ${missing(e('__li'), placeholder, d)} THEN ${fill} ELSE ${e('__li')} END`);
  return whenArrays([arg(a, 0, c)], d, d.bind(d.jsonArrayElements(arg(a, 0, c).sql), '__le', d.bind(present, '__lp', d.jsonArrayFrom(filled))));
}

export const SERIES_FUNCTIONS: readonly ScalarFunction[] = [
  scalar({ name: 'series_fill_linear', sql: fillLinear }),
  elementWise('series_add', '+', 'number'),
  elementWise('series_subtract', '-', 'number'),
  elementWise('series_multiply', '*', 'number'),
  elementWise('series_divide', '/', 'real'),
  elementWise('series_greater', '>', 'bool'),
  elementWise('series_greater_equals', '>=', 'bool'),
  elementWise('series_less', '<', 'bool'),
  elementWise('series_less_equals', '<=', 'bool'),
  elementWise('series_equals', '=', 'bool'),
  elementWise('series_not_equals', '<>', 'bool'),
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
      const fields = DYNAMIC_STATS.map((s) => `'"${s}":' || ${jsonNumber(statSql(series, ignore, s, d), s, d)}`);
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
